using System.Text.Json;
using System.Text.Json.Nodes;

namespace CrossLogic.MockEngine;

/// <summary>Reads an OpenAI request body and its scalar fields, answering pydantic-like messages for what vLLM would reject.</summary>
internal static class RequestBody
{
    public const long MaxBytes = 4 * 1024 * 1024;

    public static async Task<(JsonObject? Body, VllmError? Error)> ReadAsync(HttpRequest request, CancellationToken aborted)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, cancellationToken: aborted);
        }
        catch (JsonException e)
        {
            return (null, VllmErrors.BadRequest($"JSON decode error: {e.Message}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, VllmErrors.TooLarge(MaxBytes));
        }
        catch (BadHttpRequestException e)
        {
            return (null, VllmErrors.BadRequest(e.Message));
        }

        return node is JsonObject body
            ? (body, null)
            : (null, VllmErrors.BadRequest("Input should be a valid dictionary or object to extract fields from"));
    }

    public static bool TryInt(JsonObject body, string name, out int? value, out VllmError? error)
    {
        value = null;
        error = null;
        var node = body[name];
        if (node is null)
        {
            return true;
        }

        if (node is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.Number && scalar.TryGetValue(out int number))
        {
            value = number;
            return true;
        }

        error = VllmErrors.BadRequest($"{name}: Input should be a valid integer");
        return false;
    }

    public static bool TryBool(JsonObject? body, string name, out bool value, out VllmError? error)
    {
        value = false;
        error = null;
        var node = body?[name];
        if (node is null)
        {
            return true;
        }

        if (node.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            value = node.GetValue<bool>();
            return true;
        }

        error = VllmErrors.BadRequest($"{name}: Input should be a valid boolean");
        return false;
    }

    public static bool TryString(JsonObject body, string name, out string? value, out VllmError? error)
    {
        value = null;
        error = null;
        var node = body[name];
        if (node is null)
        {
            return true;
        }

        if (node.GetValueKind() == JsonValueKind.String)
        {
            value = node.GetValue<string>();
            return true;
        }

        error = VllmErrors.BadRequest($"{name}: Input should be a valid string");
        return false;
    }
}
