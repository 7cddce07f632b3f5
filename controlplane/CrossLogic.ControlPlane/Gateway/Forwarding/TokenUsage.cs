using System.Text.Json;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>The `usage` object of an OpenAI response.</summary>
internal readonly record struct TokenUsage(int PromptTokens, int CompletionTokens, int TotalTokens)
{
    /// <summary>Reads `{"prompt_tokens":…,"completion_tokens":…,"total_tokens":…}` starting at the reader's object.</summary>
    public static TokenUsage? Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            int prompt = 0, completion = 0, total = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) && value >= 0)
                {
                    if (name.SequenceEqual("prompt_tokens"u8))
                    {
                        prompt = value;
                    }
                    else if (name.SequenceEqual("completion_tokens"u8))
                    {
                        completion = value;
                    }
                    else if (name.SequenceEqual("total_tokens"u8))
                    {
                        total = value;
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            return new TokenUsage(prompt, completion, total > 0 ? total : prompt + completion);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The last `"usage":{…}` in a JSON text (OpenAI and vLLM put it at the end of a response).</summary>
    public static TokenUsage? FindLast(ReadOnlySpan<byte> json)
    {
        var at = json.LastIndexOf("\"usage\""u8);
        if (at < 0)
        {
            return null;
        }

        var rest = json[(at + 7)..].TrimStart(" \t\r\n"u8);
        if (rest.Length == 0 || rest[0] != (byte)':')
        {
            return null;
        }

        rest = rest[1..].TrimStart(" \t\r\n"u8);
        return rest.Length > 0 && rest[0] == (byte)'{' ? Read(rest) : null;
    }
}
