using Yarp.ReverseProxy.Forwarder;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Shapes the request to the engine and its answer back: the client's API key never leaves the gateway (the engine
/// gets the node's engine key instead), only the known inference path is called, and engine errors are rewritten in
/// OpenAI's shape.
/// </summary>
internal sealed class EngineTransformer : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        var state = httpContext.Features.Get<ForwardingState>()!;
        foreach (var name in EngineHeaders.Withheld)
        {
            proxyRequest.Headers.Remove(name);
        }

        EngineHeaders.AddGatewayHeaders(proxyRequest.Headers, state);
        proxyRequest.RequestUri = state.EngineUri;
        proxyRequest.Options.Set(BufferedBodyHandler.Body, state.Body);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var state = httpContext.Features.Get<ForwardingState>()!;
        if (proxyResponse is null || (int)proxyResponse.StatusCode < 400)
        {
            state.UpstreamStatus = proxyResponse is null ? 0 : (int)proxyResponse.StatusCode;
            var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
            httpContext.Response.Headers.Server = default;
            return copy;
        }

        state.UpstreamStatus = (int)proxyResponse.StatusCode;
        var body = await UpstreamErrors.ReadBodyAsync(proxyResponse.Content, cancellationToken).ConfigureAwait(false);
        await UpstreamErrors.Translate(state.UpstreamStatus, body).WriteAsync(httpContext.Response).ConfigureAwait(false);
        return false;
    }
}
