using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CrossLogic.ControlPlane.Gateway.Forwarding;
using Microsoft.AspNetCore.Http;

namespace CrossLogic.ControlPlane.Tests.Gateway;

public sealed class EngineExchangeTests : IDisposable
{
    private const string Answer = """{"id":"cmpl-1","choices":[{"text":"Paris"}],"usage":{"prompt_tokens":7,"completion_tokens":1,"total_tokens":8}}""";
    private static readonly byte[] Body = """{"model":"m","prompt":"The capital of France is"}"""u8.ToArray();
    private readonly TcpListener _engine = new(IPAddress.Loopback, 0);
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) });

    public EngineExchangeTests() => _engine.Start();

    private Uri EngineUri => new($"http://127.0.0.1:{((IPEndPoint)_engine.LocalEndpoint).Port}/v1/completions");

    [Fact]
    public async Task A_whole_answer_reaches_the_client_in_one_write_with_the_engines_headers_and_its_usage_is_read()
    {
        var (context, written) = Context();
        context.Request.Headers["X-Client-Header"] = "kept";
        context.Request.Headers.Cookie = "session=1";
        context.Request.Headers.Expect = "100-continue";
        context.Request.Headers["X-Request-Id"] = "chosen-by-client";
        var state = State();

        var exchange = Exchange().SendAsync(_client, context, state);
        var request = await AnswerAsync(
            $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nServer: uvicorn\r\nX-Engine-Header: passed\r\nContent-Length: {Answer.Length}\r\n\r\n{Answer}");
        var result = await exchange;

        Assert.Equal(AttemptError.None, result.Error);
        Assert.Equal(new TokenUsage(7, 1, 8), result.Usage);
        Assert.Equal(200, state.UpstreamStatus);
        Assert.Equal(Answer, Encoding.UTF8.GetString(written.ToArray()));
        Assert.Equal(1, written.Writes);
        Assert.Equal(Answer.Length, context.Response.ContentLength);
        Assert.Equal("application/json", context.Response.ContentType);
        Assert.Equal("passed", context.Response.Headers["X-Engine-Header"]);
        Assert.False(context.Response.Headers.ContainsKey("Server"));

        // The engine gets its own key, the gateway's request id and the client's other headers; never the client's credentials.
        Assert.Contains("Authorization: Bearer clek_engine\r\n", request, StringComparison.Ordinal);
        Assert.Contains("X-Request-Id: req-1\r\n", request, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Client-Header: kept\r\n", request, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/json\r\n", request, StringComparison.Ordinal);

        Assert.DoesNotContain("sk-cl-", request, StringComparison.Ordinal);
        Assert.DoesNotContain("session=1", request, StringComparison.Ordinal);
        Assert.DoesNotContain("chosen-by-client", request, StringComparison.Ordinal);
        Assert.DoesNotContain("Expect", request, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n" + Encoding.UTF8.GetString(Body), request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_answer_of_unknown_length_is_passed_on_as_it_arrives_and_its_usage_is_read()
    {
        var (context, written) = Context();
        var exchange = Exchange().SendAsync(_client, context, State());
        var half = Answer.Length / 2;
        await AnswerAsync(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
            $"{half:x}\r\n{Answer[..half]}\r\n{Answer.Length - half:x}\r\n{Answer[half..]}\r\n0\r\n\r\n");
        var result = await exchange;

        Assert.Equal(AttemptError.None, result.Error);
        Assert.Equal(new TokenUsage(7, 1, 8), result.Usage);
        Assert.Equal(Answer, Encoding.UTF8.GetString(written.ToArray()));
        Assert.Null(context.Response.ContentLength);
        Assert.False(context.Response.Headers.ContainsKey("Transfer-Encoding"));
    }

    [Fact]
    public async Task An_engine_error_reaches_the_client_in_OpenAI_shape()
    {
        var (context, written) = Context();
        var state = State();
        var exchange = Exchange().SendAsync(_client, context, state);
        const string vllmError = """{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}""";
        await AnswerAsync($"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {vllmError.Length}\r\n\r\n{vllmError}");
        var result = await exchange;

        Assert.Equal(AttemptError.None, result.Error);
        Assert.Equal(400, state.UpstreamStatus);
        Assert.Equal(400, context.Response.StatusCode);
        using var json = JsonDocument.Parse(written.ToArray());
        Assert.Equal("This model's maximum context length is 4096 tokens.", json.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task No_engine_listening_is_a_connect_failure_and_nothing_reaches_the_client()
    {
        var (context, written) = Context();
        var closedPort = ((IPEndPoint)_engine.LocalEndpoint).Port;
        _engine.Stop();
        var state = new ForwardingState("req-1", "clek_engine", new Uri($"http://127.0.0.1:{closedPort}/v1/completions"), Body);

        var result = await Exchange().SendAsync(_client, context, state);

        Assert.Equal(AttemptError.Connect, result.Error);
        Assert.True(result.CountsAgainstReplica);
        Assert.Equal(0, written.Length);
    }

    [Fact]
    public async Task A_connect_that_hangs_past_the_connect_timeout_is_a_connect_failure_so_another_replica_may_take_it()
    {
        // A host that drops packets: the connect never completes, and the HTTP client's ConnectTimeout ends it.
        using var hanging = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromMilliseconds(200),
            ConnectCallback = async (_, cancellationToken) =>
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return Stream.Null;
            },
        });
        var (context, written) = Context();

        var result = await Exchange().SendAsync(hanging, context, State()).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(AttemptError.Connect, result.Error);
        Assert.Equal(0, written.Length);
    }

    [Fact]
    public async Task An_answer_cut_off_in_its_body_is_a_response_failure_and_no_part_of_it_reaches_the_client()
    {
        var (context, written) = Context();
        var exchange = Exchange().SendAsync(_client, context, State());
        await AnswerAsync($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Answer.Length}\r\n\r\n{Answer[..10]}");
        var result = await exchange;

        Assert.Equal(AttemptError.ResponseBody, result.Error);
        Assert.True(result.CountsAgainstReplica);
        Assert.Equal(0, written.Length);
    }

    [Fact]
    public async Task An_answer_not_begun_within_the_idle_timeout_is_a_timeout_not_held_against_a_replica_that_may_be_busy()
    {
        var (context, _) = Context();
        var exchange = new EngineExchange(TimeSpan.FromMilliseconds(300), TimeProvider.System).SendAsync(_client, context, State());
        using var connection = await _engine.AcceptTcpClientAsync();
        await ReadRequestAsync(connection.GetStream());

        var result = await exchange.WaitAsync(TimeSpan.FromSeconds(10));

        // A non-streaming answer starts when generation ends: a long one looks like a hung engine from here.
        Assert.Equal(AttemptError.NoAnswerYet, result.Error);
        Assert.True(result.IsTimeout);
        Assert.False(result.CountsAgainstReplica);
    }

    [Fact]
    public async Task An_engine_quiet_for_longer_than_the_idle_timeout_within_its_answer_is_a_timeout_held_against_it()
    {
        var (context, written) = Context();
        var exchange = new EngineExchange(TimeSpan.FromMilliseconds(300), TimeProvider.System).SendAsync(_client, context, State());
        using var connection = await _engine.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        await ReadRequestAsync(stream);
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Answer.Length}\r\n\r\n{Answer[..10]}"));

        var result = await exchange.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(AttemptError.Timeout, result.Error);
        Assert.True(result.CountsAgainstReplica);
        Assert.Equal(0, written.Length);
    }

    [Fact]
    public async Task A_client_that_leaves_cancels_the_engine_request_and_it_is_not_held_against_the_replica()
    {
        var (context, _) = Context();
        using var clientGone = new CancellationTokenSource();
        context.RequestAborted = clientGone.Token;
        var exchange = Exchange().SendAsync(_client, context, State());
        using var connection = await _engine.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        await ReadRequestAsync(stream);

        await clientGone.CancelAsync();
        var result = await exchange.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(AttemptError.Other, result.Error);
        Assert.False(result.CountsAgainstReplica);
        // The engine sees its connection closed: the request is cancelled there too, not left to generate.
        Assert.Equal(0, await stream.ReadAsync(new byte[64]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    public void Dispose()
    {
        _client.Dispose();
        _engine.Dispose();
    }

    private static EngineExchange Exchange() => new(TimeSpan.FromSeconds(30), TimeProvider.System);

    private ForwardingState State() => new("req-1", "clek_engine", EngineUri, Body);

    private static (DefaultHttpContext Context, CountingStream Written) Context()
    {
        var written = new CountingStream();
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/completions";
        context.Request.Headers.Authorization = "Bearer sk-cl-client-key";
        context.Request.Headers.ContentType = "application/json";
        context.Request.Headers.ContentLength = Body.Length;
        context.Response.Body = written;
        return (context, written);
    }

    /// <summary>Accepts the gateway's connection, reads its request, sends <paramref name="response"/> and closes.</summary>
    private async Task<string> AnswerAsync(string response)
    {
        using var connection = await _engine.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        var request = await ReadRequestAsync(stream);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(response));
        return request;
    }

    /// <summary>One request, in the first read: the gateway sends headers and body in one write.</summary>
    private static async Task<string> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new byte[16384];
        return Encoding.UTF8.GetString(buffer, 0, await stream.ReadAsync(buffer));
    }

    private sealed class CountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Writes++;
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }
    }
}
