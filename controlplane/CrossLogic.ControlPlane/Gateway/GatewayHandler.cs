using System.Text.Json;
using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Gateway.Forwarding;
using CrossLogic.ControlPlane.Gateway.RateLimits;
using CrossLogic.ControlPlane.Gateway.Routing;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Gateway;

/// <summary>
/// The OpenAI-compatible API on the gateway port. Exactly these routes exist; anything else is a 404 in OpenAI's
/// shape. Order per request: API key, body, model and access, rate limits, then the forwarder.
/// </summary>
internal sealed class GatewayHandler(
    ApiKeyAuthenticator authenticator,
    KeyRateLimiter limits,
    RoutingTable routing,
    KnownModels knownModels,
    InferenceForwarder forwarder,
    Observability.ControlPlaneMetrics metrics,
    IOptions<GatewayOptions> options,
    TimeProvider time)
{
    private readonly GatewayOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var model = new System.Runtime.CompilerServices.StrongBox<string>("");
        try
        {
            await HandleRequestAsync(context, model).ConfigureAwait(false);
        }
        finally
        {
            metrics.GatewayRequest(model.Value!, context.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    /// <param name="knownModel">Set once the request's model is one the gateway routes, for the metrics' label.</param>
    private async Task HandleRequestAsync(HttpContext context, System.Runtime.CompilerServices.StrongBox<string> knownModel)
    {
        var requestId = RequestIds.New(time);
        context.Response.Headers["x-request-id"] = requestId;
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } hostingMetrics)
        {
            // crosslogic_gateway_* measure these requests with the model's label; ASP.NET's own duration would repeat them.
            hostingMetrics.MetricsDisabled = true;
        }

        // Kestrel names a request by this when it logs one that failed; the gateway's own lines name it themselves. No log
        // scope: one per request set an AsyncLocal, and every await of the request then carried it.
        context.TraceIdentifier = requestId;
        var path = context.Request.Path.Value ?? "";
        var method = context.Request.Method;
        var (kind, enginePath, expectedMethod) = path switch
        {
            "/v1/chat/completions" => (InferenceKind.Chat, "v1/chat/completions", HttpMethods.Post),
            "/v1/completions" => (InferenceKind.Completion, "v1/completions", HttpMethods.Post),
            "/v1/embeddings" => (InferenceKind.Embedding, "v1/embeddings", HttpMethods.Post),
            "/v1/models" => ((InferenceKind?)null, "", HttpMethods.Get),
            _ => (null, null, null),
        };
        if (expectedMethod is null)
        {
            await OpenAiError.NotFound(path).WriteAsync(context.Response).ConfigureAwait(false);
            return;
        }

        if (!string.Equals(method, expectedMethod, StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.Allow = expectedMethod;
            await OpenAiError.MethodNotAllowed(method, path).WriteAsync(context.Response).ConfigureAwait(false);
            return;
        }

        var (key, authError) = await authenticator.AuthenticateAsync(context.Request.Headers.Authorization, context.RequestAborted).ConfigureAwait(false);
        if (key is null)
        {
            await authError!.WriteAsync(context.Response).ConfigureAwait(false);
            return;
        }

        if (kind is not { } inference)
        {
            await WriteModelsAsync(context, key).ConfigureAwait(false);
            return;
        }

        var (body, bodyError) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            await bodyError!.WriteAsync(context.Response).ConfigureAwait(false);
            return;
        }

        var (request, requestError) = InferenceRequest.Parse(inference, body, _options);
        if (request is null)
        {
            await requestError!.WriteAsync(context.Response).ConfigureAwait(false);
            return;
        }

        if (!key.Allows(request.Model))
        {
            await OpenAiError.ModelNotFound(request.Model).WriteAsync(context.Response).ConfigureAwait(false);
            return;
        }

        var replicas = routing.ReplicasOf(request.Model);
        if (replicas.Length == 0)
        {
            var error = await knownModels.ExistsAsync(request.Model, context.RequestAborted).ConfigureAwait(false)
                ? OpenAiError.NoReplica(request.Model, _options.NoReplicaRetryAfterSeconds)
                : OpenAiError.ModelNotFound(request.Model);
            await error.WriteAsync(context.Response).ConfigureAwait(false);
            return;
        }

        knownModel.Value = request.Model;
        if (limits.Admit(key) is { } limited)
        {
            await limited.WriteAsync(context.Response).ConfigureAwait(false);
            return;
        }

        await forwarder.ForwardAsync(context, key, request, replicas, requestId, enginePath!).ConfigureAwait(false);
    }

    private async Task<(byte[]? Body, OpenAiError? Error)> ReadBodyAsync(HttpContext context)
    {
        var limit = _options.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            return (null, OpenAiError.TooLarge(limit));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        try
        {
            var body = context.Request.ContentLength is { } length
                ? await ReadDeclaredLengthAsync(context.Request.Body, (int)length, context.RequestAborted).ConfigureAwait(false)
                : await ReadChunkedAsync(context.Request.Body, context.RequestAborted).ConfigureAwait(false);
            return body.Length == 0
                ? (null, OpenAiError.BadRequest("The request body is empty; send a JSON object."))
                : (body, null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, OpenAiError.TooLarge(limit));
        }
        catch (BadHttpRequestException ex)
        {
            // The client's fault, answered in OpenAI's shape; unhandled, Kestrel logged it as an application error.
            return (null, OpenAiError.UnreadableBody(ex.StatusCode, ex.Message));
        }
    }

    /// <summary>A body of known length is read straight into its own array: one copy, however long the prompt.</summary>
    private static async Task<byte[]> ReadDeclaredLengthAsync(Stream body, int length, CancellationToken cancellationToken)
    {
        var bytes = new byte[length];
        await body.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    private static async Task<byte[]> ReadChunkedAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private async Task WriteModelsAsync(HttpContext context, ApiKeyRecord key)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var (model, created) in routing.Models())
        {
            if (!key.Allows(model))
            {
                continue;
            }

            json.WriteStartObject();
            json.WriteString("id", model);
            json.WriteString("object", "model");
            json.WriteNumber("created", created);
            json.WriteString("owned_by", "crosslogic");
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
