using System.Globalization;

namespace CrossLogic.MockEngine;

/// <summary>One stdout line per API request, uvicorn-like, for the log file the agent keeps; probes of /health and /metrics are too frequent to log.
/// Each line ends with the request's arrival (`arrived_unix_ms=`), so the fault suite can tell when a node last received traffic.</summary>
internal static class RequestLog
{
    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app, TimeProvider time) =>
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (path.Equals("/health", StringComparison.Ordinal) || path.Equals("/metrics", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }

            var started = time.GetTimestamp();
            var arrived = time.GetUtcNow().ToUnixTimeMilliseconds();
            try
            {
                await next(context);
            }
            finally
            {
                var elapsed = time.GetElapsedTime(started).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
                var outcome = context.RequestAborted.IsCancellationRequested ? " (client disconnected)" : "";
                Console.Out.WriteLine(
                    $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort} - \"{context.Request.Method} {path} {context.Request.Protocol}\" " +
                    $"{context.Response.StatusCode}{outcome} {elapsed}ms arrived_unix_ms={arrived.ToString(CultureInfo.InvariantCulture)}");
            }
        });
}
