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
internal static class RawSocketProxy
{
    private const int BufferSize = 16 << 10;

    public static async Task RunAsync(int port, Uri upstream, string allocatedPath)
    {
        var engine = new IPEndPoint(IPAddress.Parse(upstream.Host), upstream.Port);
        var pool = new ConcurrentBag<EngineConnection>();
        var allocatedRequest = Encoding.ASCII.GetBytes("GET " + allocatedPath);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(1024);
        while (true)
        {
            var client = await listener.AcceptAsync();
            client.NoDelay = true;
            _ = Task.Run(() => ServeAsync(client, engine, pool, allocatedRequest));
        }
    }

    private static async Task ServeAsync(Socket client, IPEndPoint engine, ConcurrentBag<EngineConnection> pool, byte[] allocatedRequest)
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
                    var (connection, answer) = await ExchangeAsync(pool, engine, buffer.AsMemory(0, length));
                    await client.SendAsync(answer, SocketFlags.None);
                    pool.Add(connection);
                }

                buffer.AsSpan(length, filled - length).CopyTo(buffer);
                filled -= length;
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException)
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

        var headers = Encoding.ASCII.GetString(data[..headersEnd]);
        const string name = "\r\ncontent-length:";
        var at = headers.IndexOf(name, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return headersEnd + 4;
        }

        var start = at + name.Length;
        var end = headers.IndexOf('\r', start);
        return headersEnd + 4 + int.Parse(headers.AsSpan(start, (end < 0 ? headers.Length : end) - start).Trim(), CultureInfo.InvariantCulture);
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
