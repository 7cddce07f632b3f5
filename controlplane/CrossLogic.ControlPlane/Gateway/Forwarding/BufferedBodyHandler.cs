namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Sends a request body the gateway already holds in memory in the same write as the request's headers.
/// </summary>
/// <remarks>
/// YARP streams the client's body to the engine and flushes the headers before the first body byte, so a small JSON
/// request left in two TCP segments and woke the engine twice. The gateway has read the whole body anyway (to route by
/// model and to enforce its size limit), so that streaming buys nothing. Only requests the transformer marked with
/// <see cref="Body"/> change. YARP sees its own content as never started, which it handles as a request whose body it
/// did not copy: failures are reported the same way, and nothing waits on the unused copy.
/// </remarks>
internal sealed class BufferedBodyHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public static readonly HttpRequestOptionsKey<byte[]> Body = new("crosslogic.buffered-body");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(Body, out var body) && request.Content is { } streamed)
        {
            var buffered = new ByteArrayContent(body);
            foreach (var (name, values) in streamed.Headers.NonValidated)
            {
                // The length is the buffer's own; every other content header (type, encoding) goes as the client sent it.
                if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    buffered.Headers.TryAddWithoutValidation(name, values);
                }
            }

            request.Content = buffered;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
