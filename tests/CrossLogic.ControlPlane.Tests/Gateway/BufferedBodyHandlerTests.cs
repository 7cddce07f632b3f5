using System.Net;
using System.Net.Sockets;
using System.Text;
using CrossLogic.ControlPlane.Gateway.Forwarding;

namespace CrossLogic.ControlPlane.Tests.Gateway;

public sealed class BufferedBodyHandlerTests
{
    private static readonly byte[] Body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""u8.ToArray();

    [Fact]
    public async Task A_marked_request_reaches_the_engine_in_one_read_with_its_headers_and_content_type()
    {
        var firstReadDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var engine = new TcpListener(IPAddress.Loopback, 0);
        engine.Start();
        using var client = new HttpMessageInvoker(new BufferedBodyHandler(new SocketsHttpHandler { UseProxy = false }));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{((IPEndPoint)engine.LocalEndpoint).Port}/v1/chat/completions")
        {
            Content = new HeadersFirstContent(Body, firstReadDone.Task),
        };
        request.Options.Set(BufferedBodyHandler.Body, Body);

        var sending = client.SendAsync(request, CancellationToken.None);
        using var connection = await engine.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        var buffer = new byte[8192];
        var firstRead = Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer));
        firstReadDone.SetResult();
        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        using var response = await sending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("\r\n\r\n" + Encoding.ASCII.GetString(Body), firstRead, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/json", firstRead, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {Body.Length}\r\n", firstRead, StringComparison.Ordinal);
        Assert.DoesNotContain("Transfer-Encoding", firstRead, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unmarked_request_keeps_its_own_content()
    {
        var inner = new CapturingHandler();
        using var client = new HttpMessageInvoker(new BufferedBodyHandler(inner));
        var content = new HeadersFirstContent(Body, Task.CompletedTask);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:1/v1/completions") { Content = content };

        using var response = await client.SendAsync(request, CancellationToken.None);

        Assert.Same(content, inner.Seen!.Content);
    }

    /// <summary>
    /// Streams its body as YARP's request content does: the headers flushed on their own, then the body, held back
    /// until the engine has read once so the two can never arrive together by chance.
    /// </summary>
    private sealed class HeadersFirstContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly Task _sendBodyAfter;

        public HeadersFirstContent(byte[] body, Task sendBodyAfter)
        {
            _body = body;
            _sendBodyAfter = sendBodyAfter;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            Headers.ContentLength = body.Length;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.FlushAsync();
            await _sendBodyAfter.WaitAsync(TimeSpan.FromSeconds(10));
            await stream.WriteAsync(_body);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public HttpRequestMessage? Seen { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen = request;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
