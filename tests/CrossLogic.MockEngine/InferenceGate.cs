using System.Text.Json.Nodes;

namespace CrossLogic.MockEngine;

/// <summary>What every inference request goes through first: the crash counter, a dead engine, the body and the model name.</summary>
internal sealed class InferenceGate(EngineArgs engine, Faults faults)
{
    /// <summary>The parsed body and the served name it asked for; null when an error has already been answered.</summary>
    public async Task<(JsonObject Body, string Model)?> AdmitAsync(HttpContext context)
    {
        faults.Received();
        if (faults.EngineDead)
        {
            await VllmErrors.WriteAsync(context, VllmErrors.EngineDead());
            return null;
        }

        var (body, error) = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            await VllmErrors.WriteAsync(context, error!);
            return null;
        }

        if (!RequestBody.TryString(body, "model", out var model, out error))
        {
            await VllmErrors.WriteAsync(context, error!);
            return null;
        }

        // vLLM serves a request without `model` with its first served name.
        model ??= engine.ServedModelName;
        if (!engine.ServedModelNames.Contains(model, StringComparer.Ordinal))
        {
            await VllmErrors.WriteAsync(context, VllmErrors.ModelNotFound(model));
            return null;
        }

        return (body, model);
    }

    /// <summary>Answers MOCK_ENGINE_FAIL_RATE's share of valid requests with a 500; true when it did.</summary>
    public async Task<bool> FailedAsync(HttpContext context)
    {
        if (!faults.ShouldFail())
        {
            return false;
        }

        await VllmErrors.WriteAsync(context, VllmErrors.Internal("mock engine: injected failure (MOCK_ENGINE_FAIL_RATE)"));
        return true;
    }
}
