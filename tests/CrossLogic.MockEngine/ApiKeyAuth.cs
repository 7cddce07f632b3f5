using System.Security.Cryptography;
using System.Text;

namespace CrossLogic.MockEngine;

/// <summary>vLLM's `--api-key` middleware: /v1/* needs `Authorization: Bearer KEY`; /health and /metrics stay open.</summary>
internal static class ApiKeyAuth
{
    public static IApplicationBuilder UseVllmApiKey(this IApplicationBuilder app, string? apiKey)
    {
        if (apiKey is null)
        {
            return app;
        }

        var expected = Encoding.UTF8.GetBytes("Bearer " + apiKey);
        return app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (HttpMethods.IsOptions(request.Method) || !request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }

            var presented = Encoding.UTF8.GetBytes(request.Headers.Authorization.ToString());
            if (!CryptographicOperations.FixedTimeEquals(presented, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await JsonResponse.WriteAsync(context.Response, new AuthError("Unauthorized"), WireJson.Relaxed.AuthError, context.RequestAborted);
                return;
            }

            await next(context);
        });
    }
}
