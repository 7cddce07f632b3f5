using System.Text;
using CrossLogic.ControlPlane.Gateway.Forwarding;
using Microsoft.AspNetCore.Http;

namespace CrossLogic.ControlPlane.Tests.Gateway;

public sealed class EngineTransformerTests
{
    [Fact]
    public async Task The_engine_gets_its_own_key_the_gateways_request_id_and_the_buffered_body_and_nothing_of_the_clients_credentials()
    {
        var body = """{"model":"m","prompt":"hi"}"""u8.ToArray();
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/completions";
        context.Request.Headers.Authorization = "Bearer sk-cl-client-key";
        context.Request.Headers.Cookie = "session=1";
        context.Request.Headers["X-Request-Id"] = "chosen-by-client";
        context.Request.Headers.Expect = "100-continue";
        context.Request.Headers.ContentType = "application/json";
        var engine = new Uri("http://10.0.0.5:8000/v1/completions");
        context.Features.Set(new ForwardingState("req-1", "clek_engine", engine, body));
        using var proxyRequest = new HttpRequestMessage(HttpMethod.Post, (Uri?)null) { Content = new ByteArrayContent(body) };

        await new EngineTransformer().TransformRequestAsync(context, proxyRequest, "http://10.0.0.5:8000/", CancellationToken.None);

        Assert.Equal("Bearer clek_engine", Assert.Single(proxyRequest.Headers.GetValues("Authorization")));
        Assert.Equal("req-1", Assert.Single(proxyRequest.Headers.GetValues("X-Request-Id")));
        Assert.False(proxyRequest.Headers.Contains("Cookie"));
        // The gateway has the whole body already: asking the engine whether to send it would cost a round trip.
        Assert.False(proxyRequest.Headers.Contains("Expect"));
        Assert.Equal(engine, proxyRequest.RequestUri);
        Assert.True(proxyRequest.Options.TryGetValue(BufferedBodyHandler.Body, out var marked));
        Assert.Equal(Encoding.UTF8.GetString(body), Encoding.UTF8.GetString(marked));
    }
}
