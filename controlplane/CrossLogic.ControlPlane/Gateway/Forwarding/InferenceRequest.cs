using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

internal enum InferenceKind
{
    Chat,
    Completion,
    Embedding,
}

/// <summary>
/// What the gateway reads from an OpenAI request body before forwarding it: the model, whether it streams and wants
/// usage, and the leading prompt for affinity. The body is forwarded as sent, except that a streaming request asks the
/// engine for usage, in every chunk (vLLM's <c>continuous_usage_stats</c>): a stream the client cuts short is still
/// billed for what it used. What the client did not ask for is taken out again (<see cref="ResponseTap"/>).
/// </summary>
internal sealed record InferenceRequest(
    InferenceKind Kind, string Model, bool Stream, bool ClientWantsUsage, bool ClientWantsUsageInChunks, ulong? AffinityHash, byte[] Body)
{
    private const int MaxModelLength = 256;
    private static readonly byte[] IncludeUsage = Encoding.UTF8.GetBytes("\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},");

    /// <summary>
    /// Strict where parsers could disagree: the body must be UTF-8 (RFC 8259 §8.1) and no object may name a property
    /// twice. The gateway checks the key's allowed models against one <c>model</c>; with two, the engine could act on
    /// the other. Either is a 400, never an exception.
    /// </summary>
    public static (InferenceRequest? Request, OpenAiError? Error) Parse(InferenceKind kind, byte[] body, GatewayOptions options)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return (null, OpenAiError.BadRequest("The request body is not valid UTF-8; JSON must be sent as UTF-8."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            return (null, OpenAiError.BadRequest($"We could not parse the JSON body of your request: {ex.Message}"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, OpenAiError.BadRequest("The request body must be a JSON object."));
            }

            if (!root.TryGetProperty("model", out var modelElement) || modelElement.ValueKind != JsonValueKind.String
                || modelElement.GetString() is not { Length: > 0 and <= MaxModelLength } model)
            {
                return (null, OpenAiError.BadRequest("You must provide a model parameter (a string).", "model"));
            }

            var (prompt, promptError) = Prompt(kind, root);
            if (promptError is not null)
            {
                return (null, promptError);
            }

            if (Optional(root, "stream", JsonValueKind.True, JsonValueKind.False) is { } streamError)
            {
                return (null, streamError);
            }

            var stream = kind != InferenceKind.Embedding && root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            if ((CountError(root, "n", 1, options.MaxChoices) ?? CountError(root, "max_tokens", 1, int.MaxValue)
                ?? CountError(root, "max_completion_tokens", 1, int.MaxValue)) is { } countError)
            {
                return (null, countError);
            }

            // Present, even as null, it is completed in place: a second stream_options put in front of a null one would
            // leave the engine (Python's JSON keeps the last) without the usage request, and the request unbilled.
            var hasStreamOptions = root.TryGetProperty("stream_options", out var streamOptions);
            if (hasStreamOptions && streamOptions.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                return (null, OpenAiError.BadRequest("'stream_options' must be an object.", "stream_options"));
            }

            var wantsUsage = hasStreamOptions && streamOptions.ValueKind == JsonValueKind.Object
                && streamOptions.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
            var wantsUsageInChunks = wantsUsage
                && streamOptions.TryGetProperty("continuous_usage_stats", out var continuous) && continuous.ValueKind == JsonValueKind.True;
            var affinity = prompt.ValueKind == JsonValueKind.Undefined || !options.PrefixAffinity ? null : HashPrompt(prompt, options.PrefixAffinityChars);
            var forwarded = !stream || wantsUsageInChunks ? body
                : hasStreamOptions ? WithUsageRequested(body)
                : InsertUsageRequest(body);
            return (new InferenceRequest(kind, model, stream, wantsUsage, wantsUsageInChunks, affinity, forwarded), null);
        }
    }

    private static (JsonElement Prompt, OpenAiError? Error) Prompt(InferenceKind kind, JsonElement root)
    {
        var (name, what) = kind switch
        {
            InferenceKind.Chat => ("messages", "a non-empty array of messages"),
            InferenceKind.Completion => ("prompt", "a string or an array"),
            _ => ("input", "a string or an array"),
        };
        if (!root.TryGetProperty(name, out var value))
        {
            return (default, OpenAiError.BadRequest($"Missing required parameter: '{name}'.", name, "missing_required_parameter"));
        }

        var valid = kind == InferenceKind.Chat
            ? value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0 && value.EnumerateArray().All(m => m.ValueKind == JsonValueKind.Object)
            : value.ValueKind is JsonValueKind.String or JsonValueKind.Array;
        return valid ? (value, null) : (default, OpenAiError.BadRequest($"'{name}' must be {what}.", name, "invalid_type"));
    }

    private static OpenAiError? Optional(JsonElement root, string name, params JsonValueKind[] allowed) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null && Array.IndexOf(allowed, value.ValueKind) < 0
            ? OpenAiError.BadRequest($"'{name}' must be a boolean.", name, "invalid_type")
            : null;

    private static OpenAiError? CountError(JsonElement root, string name, int min, int max)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max
            ? null
            : OpenAiError.BadRequest($"'{name}' must be an integer from {min} to {max}.", name, "invalid_value");
    }

    /// <summary>
    /// The leading bytes of the prompt's JSON as sent (UTF-8: one per character of ASCII text): requests sharing a system
    /// prompt or document share them. Read in place from the body, so a long context costs no copy. A prompt shorter
    /// than that has no prefix worth a cache hit, and is balanced by load alone.
    /// </summary>
    private static ulong? HashPrompt(JsonElement prompt, int length)
    {
        var raw = JsonMarshal.GetRawUtf8Value(prompt);
        return raw.Length < length ? null : Routing.ReplicaPicker.Hash(raw[..length]);
    }

    /// <summary>Adds `"stream_options":{"include_usage":true,"continuous_usage_stats":true}` right after the opening brace.</summary>
    private static byte[] InsertUsageRequest(byte[] body)
    {
        var brace = Array.IndexOf(body, (byte)'{');
        var result = new byte[body.Length + IncludeUsage.Length];
        body.AsSpan(0, brace + 1).CopyTo(result);
        IncludeUsage.CopyTo(result, brace + 1);
        body.AsSpan(brace + 1).CopyTo(result.AsSpan(brace + 1 + IncludeUsage.Length));
        var rest = body.AsSpan(brace + 1).TrimStart(" \t\r\n"u8);
        if (rest.Length > 0 && rest[0] == (byte)'}')
        {
            // `{}` cannot happen (model is required), but never emit a trailing comma.
            return WithUsageRequested(body);
        }

        return result;
    }

    /// <summary>Sets include_usage and continuous_usage_stats in the client's stream_options (or in place of its null).</summary>
    private static byte[] WithUsageRequested(byte[] body)
    {
        var node = JsonNode.Parse(body)!.AsObject();
        if (node["stream_options"] is not JsonObject options)
        {
            options = [];
            node["stream_options"] = options;
        }

        options["include_usage"] = true;
        options["continuous_usage_stats"] = true;
        return JsonSerializer.SerializeToUtf8Bytes(node, GatewayJson.Default.JsonObject);
    }
}
