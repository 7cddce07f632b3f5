using System.Text.Json;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Turns an engine's error answer into OpenAI's shape. vLLM answers `{"object":"error","message","type","param","code"}`
/// and FastAPI `{"detail":…}`; clients of the gateway get `{"error":{"message","type","param","code"}}`.
/// </summary>
internal static class UpstreamErrors
{
    private const int MaxErrorBody = 64 << 10;

    /// <summary>An engine's error answer, its first 64 KiB (an error is a short JSON document).</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxErrorBody];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            return buffer[..length];
        }
    }

    public static OpenAiError Translate(int status, ReadOnlySpan<byte> body)
    {
        var (message, param, code) = Read(body);
        message ??= $"The engine answered HTTP {status}.";
        return status switch
        {
            401 or 403 => OpenAiError.BadGateway("The engine refused the gateway's engine key; the node's Engine:ApiKey does not match this control plane."),
            404 when message.Contains("model", StringComparison.OrdinalIgnoreCase) => new OpenAiError(404, message, "invalid_request_error", "model_not_found", "model"),
            413 => new OpenAiError(413, message, "invalid_request_error", "request_too_large", param),
            429 => new OpenAiError(429, message, "requests", "rate_limit_exceeded", param, 1),
            503 => new OpenAiError(503, message, "server_error", code ?? "engine_unavailable", param, 1),
            >= 500 => new OpenAiError(status, message, "server_error", code ?? "engine_error", param),
            _ => new OpenAiError(status is 422 ? 400 : status, message, "invalid_request_error", code, param),
        };
    }

    private static (string? Message, string? Param, string? Code) Read(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null);
            }

            var error = root.TryGetProperty("error", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
            if (error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                return (message.GetString(), StringOrNull(error, "param"), StringOrNull(error, "code"));
            }

            if (root.TryGetProperty("detail", out var detail))
            {
                return (detail.ValueKind == JsonValueKind.String ? detail.GetString() : detail.GetRawText(), null, null);
            }
        }
        catch (JsonException)
        {
        }

        return (null, null, null);
    }

    /// <summary>A string member; vLLM's numeric `code` (the HTTP status again) carries nothing for clients.</summary>
    private static string? StringOrNull(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
