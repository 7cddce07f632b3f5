using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CrossLogic.MockEngine;

// The response bodies of vLLM's OpenAI-compatible server, field for field. `logprobs` and the like are always null here.

internal sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

internal sealed record ModelCard(
    string Id, string Object, long Created, string OwnedBy, string Root, string? Parent, int MaxModelLen, IReadOnlyList<string> Permission);

internal sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);

internal sealed record ChatMessage(string Role, string Content);

internal sealed record ChatChoice(int Index, ChatMessage Message, string? Logprobs, string FinishReason, string? StopReason);

internal sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage);

internal sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    string Content);

internal sealed record ChatChunkChoice(int Index, ChatDelta Delta, string? Logprobs, string? FinishReason);

internal sealed record ChatChunk(
    string Id, string Object, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage);

internal sealed record TextChoice(int Index, string Text, string? Logprobs, string? FinishReason, string? StopReason);

internal sealed record TextCompletion(
    string Id, string Object, long Created, string Model, IReadOnlyList<TextChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage);

/// <summary>`Embedding` is a float array, or a base64 string of little-endian float32 when `encoding_format` is "base64".</summary>
internal sealed record EmbeddingData(string Object, int Index, JsonNode Embedding);

internal sealed record EmbeddingUsage(int PromptTokens, int TotalTokens);

internal sealed record EmbeddingList(string Id, string Object, long Created, string Model, IReadOnlyList<EmbeddingData> Data, EmbeddingUsage Usage);

/// <summary>vLLM's error body: `{"object":"error","message":..,"type":"BadRequestError","param":null,"code":400}`.</summary>
internal sealed record VllmError(string Object, string Message, string Type, string? Param, int Code);

/// <summary>What vLLM's API-key middleware answers: `{"error":"Unauthorized"}`.</summary>
internal sealed record AuthError(string Error);

/// <summary>FastAPI's answer for a path it does not know: `{"detail":"Not Found"}`.</summary>
internal sealed record FastApiDetail(string Detail);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatChunk))]
[JsonSerializable(typeof(TextCompletion))]
[JsonSerializable(typeof(EmbeddingList))]
[JsonSerializable(typeof(VllmError))]
[JsonSerializable(typeof(AuthError))]
[JsonSerializable(typeof(FastApiDetail))]
internal sealed partial class WireJson : JsonSerializerContext
{
    /// <summary>Like Python's json: backticks, quotes and `+` stay as they are (`The model `x` does not exist.`), not \u0060.</summary>
    public static WireJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
