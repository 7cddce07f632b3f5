using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CrossLogic.MockEngine;

/// <summary>
/// A JSON answer as vLLM's server sends one: Starlette's <c>JSONResponse</c> renders the body first and sends it with
/// <c>content-length</c>, never chunked. Proxies in front of the engine see the same framing as in production.
/// </summary>
internal static class JsonResponse
{
    public static Task WriteAsync<T>(HttpResponse response, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(value, type);
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, cancellationToken).AsTask();
    }
}
