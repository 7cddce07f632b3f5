using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace CrossLogic.MockEngine;

/// <summary>`POST /v1/embeddings`: one unit vector of 16 floats per input, derived from a hash of the input so equal inputs embed equally.</summary>
internal sealed class Embeddings(InferenceGate gate, Faults faults, EngineMetrics metrics, TimeProvider time)
{
    public const int Dimensions = 16;

    public async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        try
        {
            if (await gate.AdmitAsync(context) is not (var body, var model))
            {
                return;
            }

            var inputs = body["input"] is { } input ? Prompts.Inputs(input) : null;
            if (inputs is null)
            {
                await VllmErrors.WriteAsync(context, VllmErrors.BadRequest(
                    body["input"] is null ? "input: Field required" : "input: Input should be a string, a list of strings or a list of token ids"));
                return;
            }

            if (!RequestBody.TryString(body, "encoding_format", out var format, out var error) || format is not (null or "float" or "base64"))
            {
                await VllmErrors.WriteAsync(context, error ?? VllmErrors.BadRequest("encoding_format: Input should be 'float' or 'base64'"));
                return;
            }

            if (await gate.FailedAsync(context))
            {
                return;
            }

            var promptTokens = inputs.Sum(item => item.Tokens);
            using var running = metrics.Start(promptTokens);
            await faults.HangIfConfiguredAsync(aborted);
            var data = inputs.Select((item, index) => new EmbeddingData("embedding", index, Encode(Vector(item.Text), format == "base64"))).ToList();
            metrics.Finished(FinishReason.Stop);
            var answer = new EmbeddingList(
                "embd-" + Guid.NewGuid().ToString("N"), "list", time.GetUtcNow().ToUnixTimeSeconds(), model, data,
                new EmbeddingUsage(promptTokens, promptTokens));
            await JsonResponse.WriteAsync(context.Response, answer, WireJson.Relaxed.EmbeddingList, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    /// <summary>FNV-1a of the UTF-8 input seeds xorshift64; the result is normalised, as vLLM normalises embeddings.</summary>
    internal static float[] Vector(string input)
    {
        var state = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(input))
        {
            state = (state ^ b) * 1099511628211UL;
        }

        state = state == 0 ? 0x9E3779B97F4A7C15UL : state;
        var values = new double[Dimensions];
        var norm = 0.0;
        for (var i = 0; i < Dimensions; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values[i] = ((state >> 11) * (1.0 / (1UL << 53)) * 2) - 1;
            norm += values[i] * values[i];
        }

        norm = Math.Sqrt(norm);
        return values.Select(value => (float)(value / norm)).ToArray();
    }

    private static JsonNode Encode(float[] vector, bool base64) =>
        base64
            ? JsonValue.Create(Convert.ToBase64String(MemoryMarshal.AsBytes(vector.AsSpan())))!
            : new JsonArray(vector.Select(value => (JsonNode?)JsonValue.Create(value)).ToArray());
}
