using System.Globalization;
using System.Text.Json;

namespace CrossLogic.ControlPlane.Gateway;

/// <summary>An error in OpenAI's shape: `{"error":{"message","type","param","code"}}`, with its HTTP status.</summary>
internal sealed record OpenAiError(int Status, string Message, string Type, string? Code, string? Param = null, int? RetryAfterSeconds = null)
{
    public static OpenAiError MissingKey() => new(401,
        "You didn't provide an API key. Send it as 'Authorization: Bearer sk-cl-...'.", "invalid_request_error", null);

    public static OpenAiError InvalidKey(string message) => new(401, message, "invalid_request_error", "invalid_api_key");

    public static OpenAiError BadRequest(string message, string? param = null, string? code = null) =>
        new(400, message, "invalid_request_error", code, param);

    /// <summary>A body Kestrel could not read: bad chunked framing, cut short (400), or sent too slowly (408).</summary>
    public static OpenAiError UnreadableBody(int status, string reason) =>
        new(status, $"The request body could not be read: {reason}", "invalid_request_error", null);

    public static OpenAiError ModelNotFound(string model) => new(404,
        $"The model '{model}' does not exist or you do not have access to it.", "invalid_request_error", "model_not_found", "model");

    public static OpenAiError NotFound(string path) => new(404, $"Unknown request URL: {path}.", "invalid_request_error", "unknown_url");

    public static OpenAiError MethodNotAllowed(string method, string path) =>
        new(405, $"Method {method} is not allowed for {path}.", "invalid_request_error", "method_not_allowed");

    public static OpenAiError TooLarge(long limit) => new(413,
        $"Request body is larger than the limit of {limit} bytes.", "invalid_request_error", "request_too_large");

    public static OpenAiError RateLimited(string what, TimeSpan retryAfter) => new(429,
        $"Rate limit reached for {what}. Retry after {RetryAfter(retryAfter)} s.", "requests", "rate_limit_exceeded", null, RetryAfter(retryAfter));

    public static OpenAiError NoReplica(string model, int retryAfterSeconds) => new(503,
        $"No replica of model '{model}' is ready to serve. Retry shortly.", "server_error", "no_replica_available", null, retryAfterSeconds);

    public static OpenAiError Unavailable(string message, int retryAfterSeconds) =>
        new(503, message, "server_error", "service_unavailable", null, retryAfterSeconds);

    public static OpenAiError BadGateway(string message) => new(502, message, "server_error", "upstream_error");

    public static OpenAiError GatewayTimeout(string message) => new(504, message, "server_error", "upstream_timeout");

    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        await response.Body.WriteAsync(ToJson()).ConfigureAwait(false);
    }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", Message);
            json.WriteString("type", Type);
            WriteNullable(json, "param", Param);
            WriteNullable(json, "code", Code);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static int RetryAfter(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
}
