using System.Text.Json;
using System.Text.Json.Nodes;

namespace CrossLogic.MockEngine;

/// <summary>Counts prompt "tokens" as whitespace-separated words (token ids count one each): crude, deterministic, good enough for usage and metrics.</summary>
internal static class Prompts
{
    /// <summary>`messages`: a non-empty array of `{role, content}` whose content is a string, null, or an array of `{type:"text", text}` parts.</summary>
    public static bool TryCountChat(JsonNode? messages, out int tokens, out VllmError? error)
    {
        tokens = 0;
        error = null;
        if (messages is null)
        {
            error = VllmErrors.BadRequest("messages: Field required");
            return false;
        }

        if (messages is not JsonArray { Count: > 0 } list)
        {
            error = VllmErrors.BadRequest("messages: Input should be a non-empty list of messages");
            return false;
        }

        foreach (var message in list)
        {
            if (message is not JsonObject { } fields || fields["role"]?.GetValueKind() != JsonValueKind.String)
            {
                error = VllmErrors.BadRequest("messages: each message should be an object with a string `role`");
                return false;
            }

            switch (fields["content"])
            {
                case null:
                    break;
                case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                    tokens += Words(text.GetValue<string>());
                    break;
                case JsonArray parts:
                    foreach (var part in parts)
                    {
                        if (part?["text"] is JsonValue partText && partText.GetValueKind() == JsonValueKind.String)
                        {
                            tokens += Words(partText.GetValue<string>());
                        }
                    }

                    break;
                default:
                    error = VllmErrors.BadRequest("messages: `content` should be a string or a list of content parts");
                    return false;
            }
        }

        tokens = Math.Max(1, tokens);
        return true;
    }

    /// <summary>`prompt`: a string, an array of strings, an array of token ids, or an array of such arrays.</summary>
    public static bool TryCountCompletion(JsonNode? prompt, out int tokens, out VllmError? error)
    {
        tokens = 0;
        error = null;
        if (prompt is null)
        {
            error = VllmErrors.BadRequest("Either prompt or prompt_embeds must be provided and non-empty.");
            return false;
        }

        var inputs = Inputs(prompt);
        if (inputs is null)
        {
            error = VllmErrors.BadRequest("prompt: Input should be a string, a list of strings or a list of token ids");
            return false;
        }

        tokens = Math.Max(1, inputs.Sum(input => input.Tokens));
        return true;
    }

    /// <summary>Splits an OpenAI `prompt`/`input` into its items with their token counts; null when the shape is wrong.</summary>
    public static List<(string Text, int Tokens)>? Inputs(JsonNode input)
    {
        var items = new List<(string, int)>();
        switch (input)
        {
            case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                items.Add(Item(text.GetValue<string>()));
                return items;
            case JsonArray { Count: 0 }:
                return null;
            case JsonArray list when list.All(IsTokenId):
                items.Add(TokenIds(list));
                return items;
            case JsonArray list:
                foreach (var element in list)
                {
                    switch (element)
                    {
                        case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                            items.Add(Item(text.GetValue<string>()));
                            break;
                        case JsonArray ids when ids.All(IsTokenId):
                            items.Add(TokenIds(ids));
                            break;
                        default:
                            return null;
                    }
                }

                return items;
            default:
                return null;
        }
    }

    public static int Words(string text)
    {
        var words = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var letter = !char.IsWhiteSpace(c);
            if (letter && !inWord)
            {
                words++;
            }

            inWord = letter;
        }

        return words;
    }

    private static (string, int) Item(string text) => (text, Math.Max(1, Words(text)));

    private static (string, int) TokenIds(JsonArray ids) => (ids.ToJsonString(), Math.Max(1, ids.Count));

    private static bool IsTokenId(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.Number;
}
