using System.Net;
using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Gateway.RateLimits;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Gateway.Usage;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Sends one admitted request to a replica with YARP's forwarder: picks the replica, counts it in flight, retries a
/// connection failure once on another replica (nothing was sent yet), feeds passive health, and records usage.
/// </summary>
internal sealed class InferenceForwarder(
    IHttpForwarder forwarder,
    ReplicaPicker picker,
    EngineKeys engineKeys,
    KeyRateLimiter limits,
    UsageRecorder usage,
    ReplicaHealthReporter healthReporter,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<InferenceForwarder> logger) : IDisposable
{
    private static readonly EngineTransformer Transformer = new();
    private readonly GatewayOptions _options = options.Value;
    private readonly HttpMessageInvoker _client = new(new BufferedBodyHandler(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        ActivityHeadersPropagator = null,
    }));

    private readonly ForwarderRequestConfig _requestConfig = new()
    {
        ActivityTimeout = TimeSpan.FromSeconds(options.Value.UpstreamIdleTimeoutSeconds),
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public async Task ForwardAsync(HttpContext context, ApiKeyRecord key, InferenceRequest request, Replica[] replicas, string requestId, string path)
    {
        var started = time.GetTimestamp();
        var clientBody = context.Response.Body;
        Replica? failed = null;
        for (var attempt = 1; ; attempt++)
        {
            var replica = picker.Pick(replicas, request.AffinityHash, failed);
            if (replica is null)
            {
                await OpenAiError.BadGateway($"No replica of '{request.Model}' could be reached.").WriteAsync(context.Response).ConfigureAwait(false);
                return;
            }

            replica.Started();
            if (replica.IsOut)
            {
                // Marked out after this request's snapshot was taken: never sent there. Picked again, not counted as an attempt.
                replica.Finished();
                attempt--;
                continue;
            }

            // The body goes to the engine from the state (BufferedBodyHandler), not from the client's stream, read already.
            var state = new ForwardingState(requestId, engineKeys.For(replica.NodeId), replica.EngineUri(path), request.Body);
            context.Features.Set(state);
            using var tap = new ResponseTap(clientBody, request.Stream, request.ClientWantsUsage, time);
            context.Response.Body = tap;
            ForwarderError error;
            try
            {
                error = await forwarder.SendAsync(context, replica.Destination, _client, _requestConfig, Transformer).ConfigureAwait(false);
            }
            finally
            {
                replica.Finished();
                context.Response.Body = clientBody;
            }

            if (error != ForwarderError.None && !context.Response.HasStarted && attempt == 1 && IsConnectFailure(context))
            {
                GatewayLog.RetryingOnAnotherReplica(logger, requestId, replica.NodeId);
                ReportFailure(replica, "connect failure");
                context.Response.Clear();
                failed = replica;
                continue;
            }

            await FinishAsync(context, key, request, replica, requestId, started, error, state, tap).ConfigureAwait(false);
            return;
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task FinishAsync(HttpContext context, ApiKeyRecord key, InferenceRequest request, Replica replica, string requestId, long started, ForwarderError error, ForwardingState state, ResponseTap tap)
    {
        var clientGone = context.RequestAborted.IsCancellationRequested;
        if (error == ForwarderError.None)
        {
            await tap.CompleteAsync(context.RequestAborted).ConfigureAwait(false);
        }
        else if (!context.Response.HasStarted && !clientGone)
        {
            var timedOut = error is ForwarderError.RequestTimedOut;
            var upstreamError = timedOut
                ? OpenAiError.GatewayTimeout($"Replica '{replica.NodeId}' did not answer in time.")
                : OpenAiError.BadGateway($"Replica '{replica.NodeId}' failed: {Describe(context)}");
            context.Response.Clear();
            await upstreamError.WriteAsync(context.Response).ConfigureAwait(false);
        }

        // Passive health: transport failures and engine 5xx count against the replica; a client that left does not.
        if (!clientGone && (error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.ResponseBodyDestination
            || state.UpstreamStatus >= 500))
        {
            ReportFailure(replica, error != ForwarderError.None ? error.ToString() : $"HTTP {state.UpstreamStatus}");
        }
        else if (state.UpstreamStatus is > 0 and < 500)
        {
            replica.Succeeded();
        }

        var tokens = tap.Usage ?? default;
        limits.Charge(key, tokens.TotalTokens);
        usage.Record(new UsageRecord(
            requestId,
            time.GetUtcNow().UtcDateTime,
            key.Tenant,
            key.KeyId,
            request.Model,
            replica.NodeId,
            (short)(clientGone && !context.Response.HasStarted ? 499 : context.Response.StatusCode),
            tokens.PromptTokens,
            tokens.CompletionTokens,
            tokens.TotalTokens,
            request.Stream,
            (int)Math.Min(int.MaxValue, time.GetElapsedTime(started).TotalMilliseconds)));
    }

    private void ReportFailure(Replica replica, string what)
    {
        var ejectUntil = time.GetTimestamp() + (long)(_options.EjectSeconds * (double)time.TimestampFrequency);
        if (replica.Failed(_options.EjectAfterFailures, ejectUntil))
        {
            healthReporter.Ejected(replica, _options.EjectAfterFailures, what, TimeSpan.FromSeconds(_options.EjectSeconds));
        }
    }

    private static bool IsConnectFailure(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>() is { Error: ForwarderError.Request, Exception: var ex }
        && Unwrap<HttpRequestException>(ex) is { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    private static string Describe(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>() is { } feature
            ? $"{feature.Error}{(feature.Exception is { } ex ? ": " + (Unwrap<HttpRequestException>(ex)?.Message ?? ex.Message) : "")}"
            : "unknown error";

    private static T? Unwrap<T>(Exception? ex) where T : Exception
    {
        for (var current = ex; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }

        return null;
    }
}
