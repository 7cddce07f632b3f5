namespace CrossLogic.MockEngine;

/// <summary>The errors vLLM answers, in its `{"object":"error",...}` shape, with the HTTP status in `code`.</summary>
internal static class VllmErrors
{
    public static VllmError BadRequest(string message) => new("error", message, "BadRequestError", null, StatusCodes.Status400BadRequest);

    public static VllmError ModelNotFound(string model) =>
        new("error", $"The model `{model}` does not exist.", "NotFoundError", null, StatusCodes.Status404NotFound);

    public static VllmError TooLarge(long limit) =>
        new("error", $"Request body exceeds the limit of {limit} bytes.", "RequestEntityTooLarge", null, StatusCodes.Status413PayloadTooLarge);

    public static VllmError Internal(string message) => new("error", message, "InternalServerError", null, StatusCodes.Status500InternalServerError);

    /// <summary>What vLLM says once its engine core has died under a live API server.</summary>
    public static VllmError EngineDead() => Internal("EngineCore encountered an issue. See stack trace (above) for the root cause.");

    public static Task WriteAsync(HttpContext context, VllmError error)
    {
        context.Response.StatusCode = error.Code;
        return JsonResponse.WriteAsync(context.Response, error, WireJson.Relaxed.VllmError, context.RequestAborted);
    }
}
