namespace CrossLogic.MockEngine;

/// <summary>`GET /v1/models`: one card per served name, rooted at the model path, as vLLM lists them.</summary>
internal sealed class Models(EngineArgs engine, TimeProvider time)
{
    public Task ListAsync(HttpContext context)
    {
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var cards = engine.ServedModelNames
            .Select(name => new ModelCard(name, "model", created, "vllm", engine.Model, null, engine.MaxModelLen, []))
            .ToList();
        return JsonResponse.WriteAsync(context.Response, new ModelList("list", cards), WireJson.Relaxed.ModelList, context.RequestAborted);
    }
}
