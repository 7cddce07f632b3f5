using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CrossLogic.Bench;

/// <summary>
/// The floor for a .NET proxy on this machine, as a reference line of the gateway benchmark: HTTP/1.1 handled by hand
/// on <see cref="Socket"/>s, one pooled keep-alive connection to the engine per request in flight, each request and
/// answer passed on in one write, no header rewriting. Only what the benchmark sends is understood: requests and answers
/// framed by <c>Content-Length</c>. Not a proxy to run anything else through.
/// </summary>
/// <remarks>
/// Its two halves also serve the lines that split a Kestrel proxy's cost: <see cref="RawClient"/> behind Kestrel
/// (<c>kestrel_raw_client</c>), and this server with .NET's HTTP client behind it (<c>raw_server_httpclient</c>).
/// </remarks>
internal static class RawSocketProxy
{
    private const int BufferSize = 16 << 10;

    /// <summary>Sends one whole HTTP/1.1 request to the engine and gives its whole answer; <c>Release</c> once the answer is used.</summary>
    public delegate Task<(ReadOnlyMemory<byte> Answer, Action Release)> Exchange(ReadOnlyMemory<byte> request);

    public static Task RunAsync(int port, Uri upstream, string allocatedPath) => ServeAsync(port, allocatedPath, RawClient(upstream));

    /// <summary>This server with <see cref="SocketsHttpHandler"/> behind it: Kestrel's half replaced, .NET's HTTP client kept.</summary>
    public static Task RunWithHttpClientAsync(int port, Uri upstream, string allocatedPath, HttpMessageInvoker client) =>
        ServeAsync(port, allocatedPath, async request =>
        {
            var headersEnd = request.Span.IndexOf("\r\n\r\n"u8);
            var head = Encoding.ASCII.GetString(request.Span[..headersEnd]);
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream, head.Split(' ')[1]))
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(request[(headersEnd + 4)..].ToArray()),
            };
            message.Content.Headers.TryAddWithoutValidation("Content-Type", Header(head, "content-type"));
            message.Headers.TryAddWithoutValidation("Authorization", Header(head, "authorization"));
            using var response = await client.SendAsync(message, CancellationToken.None);
            var body = await response.Content.ReadAsByteArrayAsync();
            var answerHead = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {(int)response.StatusCode} {response.ReasonPhrase}\r\nContent-Type: {response.Content.Headers.ContentType}\r\nContent-Length: {body.Length}\r\n\r\n");
            return (answerHead.Concat(body).ToArray(), () => { });
        });

    /// <summary>The other half: pooled keep-alive connections to the engine, each request and answer in one write.</summary>
    public static Exchange RawClient(Uri upstream)
    {
        var engine = new IPEndPoint(IPAddress.Parse(upstream.Host), upstream.Port);
        var pool = new ConcurrentBag<EngineConnection>();
        return async request =>
        {
            var (connection, answer) = await ExchangeAsync(pool, engine, request);
            return (answer, () => pool.Add(connection));
        };
    }

    /// <summary>The value of a header in a block of headers, or "".</summary>
    public static string Header(string head, string name) => TryHeader(head, name, out var value) ? value.ToString() : "";

    private static bool TryHeader(string head, string name, out ReadOnlySpan<char> value)
    {
        var at = head.IndexOf("\r\n" + name + ":", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            value = default;
            return false;
        }

        var start = at + name.Length + 3;
        var end = head.IndexOf('\r', start);
        value = head.AsSpan(start, (end < 0 ? head.Length : end) - start).Trim();
        return true;
    }

    private static async Task ServeAsync(int port, string allocatedPath, Exchange exchange)
    {
        var allocatedRequest = Encoding.ASCII.GetBytes("GET " + allocatedPath);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(1024);
        while (true)
        {
            var client = await listener.AcceptAsync();
            client.NoDelay = true;
            _ = Task.Run(() => ServeAsync(client, allocatedRequest, exchange));
        }
    }

    private static async Task ServeAsync(Socket client, byte[] allocatedRequest, Exchange exchange)
    {
        var buffer = new byte[BufferSize];
        var filled = 0;
        try
        {
            while (true)
            {
                int length;
                while ((length = MessageLength(buffer.AsSpan(0, filled))) == 0 || filled < length)
                {
                    var read = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                }

                if (buffer.AsSpan(0, length).StartsWith(allocatedRequest))
                {
                    var allocated = GC.GetTotalAllocatedBytes().ToString(CultureInfo.InvariantCulture);
                    await client.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {allocated.Length}\r\n\r\n{allocated}"), SocketFlags.None);
                }
                else
                {
                    var (answer, release) = await exchange(buffer.AsMemory(0, length));
                    await client.SendAsync(answer, SocketFlags.None);
                    release();
                }

                buffer.AsSpan(length, filled - length).CopyTo(buffer);
                filled -= length;
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or HttpRequestException)
        {
            // The client or the engine closed the connection; the benchmark counts the request as failed.
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>
    /// Sends a request on a pooled connection, or on a new one. A pooled connection the engine closed while it was idle
    /// fails before any answer; the request then goes once more on a new connection, as .NET's HTTP client does.
    /// </summary>
    private static async Task<(EngineConnection Connection, ReadOnlyMemory<byte> Answer)> ExchangeAsync(
        ConcurrentBag<EngineConnection> pool, IPEndPoint engine, ReadOnlyMemory<byte> request)
    {
        if (pool.TryTake(out var pooled))
        {
            try
            {
                return (pooled, await pooled.ExchangeAsync(request));
            }
            catch (SocketException)
            {
                pooled.Dispose();
            }
        }

        var connection = new EngineConnection(engine);
        try
        {
            return (connection, await connection.ExchangeAsync(request));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The length of the message at the start of <paramref name="data"/> (headers and body), or 0 before its headers end.</summary>
    private static int MessageLength(ReadOnlySpan<byte> data)
    {
        var headersEnd = data.IndexOf("\r\n\r\n"u8);
        if (headersEnd < 0)
        {
            return 0;
        }

        return TryHeader(Encoding.ASCII.GetString(data[..headersEnd]), "content-length", out var length)
            ? headersEnd + 4 + int.Parse(length, CultureInfo.InvariantCulture)
            : headersEnd + 4;
    }

    private sealed class EngineConnection(IPEndPoint engine) : IDisposable
    {
        private readonly byte[] _buffer = new byte[BufferSize];
        private Socket? _socket;

        public async Task<ReadOnlyMemory<byte>> ExchangeAsync(ReadOnlyMemory<byte> request)
        {
            if (_socket is null)
            {
                _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await _socket.ConnectAsync(engine);
            }

            await _socket.SendAsync(request, SocketFlags.None);
            var filled = 0;
            int length;
            while ((length = MessageLength(_buffer.AsSpan(0, filled))) == 0 || filled < length)
            {
                var read = await _socket.ReceiveAsync(_buffer.AsMemory(filled), SocketFlags.None);
                if (read == 0)
                {
                    // Closed before any answer: safe to send again. Closed part-way: not.
                    throw filled == 0 ? new SocketException((int)SocketError.ConnectionReset) : new IOException("the engine closed the connection mid-answer");
                }

                filled += read;
            }

            return _buffer.AsMemory(0, length);
        }

        public void Dispose() => _socket?.Dispose();
    }
}
