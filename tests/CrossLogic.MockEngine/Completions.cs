using System.Text;
using System.Text.Json.Nodes;

namespace CrossLogic.MockEngine;

/// <summary>`POST /v1/chat/completions` and `POST /v1/completions`: generated "token0 token1 ..." text, streamed or whole.</summary>
internal sealed class Completions(
    EngineArgs engine, InferenceGate gate, Faults faults, EngineMetrics metrics, TokenGenerator generator, TimeProvider time)
{
    /// <summary>OpenAI's default for the legacy completions API, used for chat too to keep answers short.</summary>
    private const int DefaultMaxTokens = 16;

    public Task ChatAsync(HttpContext context) => HandleAsync(context, chat: true);

    public Task TextAsync(HttpContext context) => HandleAsync(context, chat: false);

    private async Task HandleAsync(HttpContext context, bool chat)
    {
        var aborted = context.RequestAborted;
        try
        {
            if (await gate.AdmitAsync(context) is not (var body, var model))
            {
                return;
            }

            var (request, error) = Parse(body, model, chat);
            if (request is null)
            {
                await VllmErrors.WriteAsync(context, error!);
                return;
            }

            if (await gate.FailedAsync(context))
            {
                return;
            }

            using var running = metrics.Start(request.PromptTokens);
            await faults.HangIfConfiguredAsync(aborted);
            var id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
            var created = time.GetUtcNow().ToUnixTimeSeconds();
            if (request.Stream)
            {
                await StreamAsync(context.Response, request, id, created, chat, aborted);
            }
            else
            {
                await AnswerAsync(context.Response, request, id, created, chat, aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: vLLM aborts the request, and so does the mock.
        }
    }

    private async Task AnswerAsync(HttpResponse response, GenerationRequest request, string id, long created, bool chat, CancellationToken aborted)
    {
        var text = new StringBuilder();
        await foreach (var token in generator.GenerateAsync(request.MaxTokens, aborted))
        {
            text.Append(token);
        }

        metrics.Finished(FinishReason.Length);
        var usage = new Usage(request.PromptTokens, request.MaxTokens, request.PromptTokens + request.MaxTokens);
        if (chat)
        {
            var choice = new ChatChoice(0, new ChatMessage("assistant", text.ToString()), null, "length", null);
            await JsonResponse.WriteAsync(
                response,
                new ChatCompletion(id, "chat.completion", created, request.Model, [choice], usage),
                WireJson.Relaxed.ChatCompletion, aborted);
        }
        else
        {
            var choice = new TextChoice(0, text.ToString(), null, "length", null);
            await JsonResponse.WriteAsync(
                response,
                new TextCompletion(id, "text_completion", created, request.Model, [choice], usage),
                WireJson.Relaxed.TextCompletion, aborted);
        }
    }

    private async Task StreamAsync(HttpResponse response, GenerationRequest request, string id, long created, bool chat, CancellationToken aborted)
    {
        var events = new ServerSentEvents(response);
        await events.StartAsync(aborted);
        var generated = 0;
        // vLLM's continuous_usage_stats (with include_usage): every chunk carries the usage so far.
        Usage? SoFar() => request.IncludeUsage && request.ContinuousUsage
            ? new Usage(request.PromptTokens, generated, request.PromptTokens + generated)
            : null;
        await foreach (var token in generator.GenerateAsync(request.MaxTokens, aborted))
        {
            generated++;
            var finish = generated == request.MaxTokens ? "length" : null;
            if (finish is not null)
            {
                metrics.Finished(FinishReason.Length);
            }

            if (!chat)
            {
                var choice = new TextChoice(0, token, null, finish, null);
                await events.WriteAsync(new TextCompletion(id, "text_completion", created, request.Model, [choice], SoFar()), WireJson.Relaxed.TextCompletion, aborted);
                continue;
            }

            // vLLM's first chat chunk carries only the role, and goes out with the first token.
            if (generated == 1)
            {
                var beforeFirst = SoFar() is { } first ? first with { CompletionTokens = 0, TotalTokens = first.PromptTokens } : null;
                await events.WriteAsync(ChatChunk(id, created, request.Model, new ChatDelta("assistant", ""), null, beforeFirst), WireJson.Relaxed.ChatChunk, aborted);
            }

            await events.WriteAsync(ChatChunk(id, created, request.Model, new ChatDelta(null, token), finish, SoFar()), WireJson.Relaxed.ChatChunk, aborted);
        }

        if (request.IncludeUsage)
        {
            var usage = new Usage(request.PromptTokens, request.MaxTokens, request.PromptTokens + request.MaxTokens);
            if (chat)
            {
                await events.WriteAsync(new ChatChunk(id, "chat.completion.chunk", created, request.Model, [], usage), WireJson.Relaxed.ChatChunk, aborted);
            }
            else
            {
                await events.WriteAsync(new TextCompletion(id, "text_completion", created, request.Model, [], usage), WireJson.Relaxed.TextCompletion, aborted);
            }
        }

        await events.DoneAsync(aborted);
    }

    private static ChatChunk ChatChunk(string id, long created, string model, ChatDelta delta, string? finish, Usage? usage) =>
        new(id, "chat.completion.chunk", created, model, [new ChatChunkChoice(0, delta, null, finish)], usage);

    private (GenerationRequest? Request, VllmError? Error) Parse(JsonObject body, string model, bool chat)
    {
        int promptTokens;
        VllmError? error;
        var counted = chat
            ? Prompts.TryCountChat(body["messages"], out promptTokens, out error)
            : Prompts.TryCountCompletion(body["prompt"], out promptTokens, out error);
        if (!counted
            || !RequestBody.TryInt(body, "max_tokens", out var maxTokens, out error)
            || (chat && maxTokens is null && !RequestBody.TryInt(body, "max_completion_tokens", out maxTokens, out error))
            || !RequestBody.TryBool(body, "stream", out var stream, out error))
        {
            return (null, error);
        }

        var max = maxTokens ?? DefaultMaxTokens;
        if (max < 1)
        {
            return (null, VllmErrors.BadRequest($"max_tokens must be at least 1, got {max}."));
        }

        var streamOptions = body["stream_options"];
        if (streamOptions is not null and not JsonObject)
        {
            return (null, VllmErrors.BadRequest("stream_options: Input should be a valid dictionary"));
        }

        if (streamOptions is JsonObject { Count: > 0 } && !stream)
        {
            return (null, VllmErrors.BadRequest("Stream options can only be defined when `stream=True`."));
        }

        if (!RequestBody.TryBool(streamOptions as JsonObject, "include_usage", out var includeUsage, out error)
            || !RequestBody.TryBool(streamOptions as JsonObject, "continuous_usage_stats", out var continuousUsage, out error))
        {
            return (null, error);
        }

        if (promptTokens + max > engine.MaxModelLen)
        {
            return (null, VllmErrors.BadRequest(
                $"This model's maximum context length is {engine.MaxModelLen} tokens. However, you requested {promptTokens + max} tokens " +
                $"({promptTokens} in the messages, {max} in the completion). Please reduce the length of the messages or completion."));
        }

        return (new GenerationRequest(model, promptTokens, max, stream, includeUsage, continuousUsage), null);
    }

    private sealed record GenerationRequest(string Model, int PromptTokens, int MaxTokens, bool Stream, bool IncludeUsage, bool ContinuousUsage);
}
