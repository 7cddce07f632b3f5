using System.Net;
using System.Net.Sockets;

namespace CrossLogic.Testing;

/// <summary>
/// A TCP proxy on loopback between two processes, whose behaviour a test changes while connections are open:
/// <see cref="Mode.Pass"/> forwards bytes; <see cref="Mode.Blackhole"/> reads and drops them and accepts new
/// connections that go nowhere (a partition: no FIN, no RST, the kernel still ACKs); <see cref="Mode.Reset"/> resets
/// every connection and refuses new ones (a firewall that rejects). No netem or toxiproxy here, so this is the wire.
/// </summary>
public sealed class ChaosProxy : IAsyncDisposable
{
    public enum Mode
    {
        Pass,
        Blackhole,
        Reset,
    }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Upstream)> _connections = [];
    private readonly Task _accepting;
    private volatile Mode _mode = Mode.Pass;

    public ChaosProxy(int upstreamPort)
    {
        _upstream = new IPEndPoint(IPAddress.Loopback, upstreamPort);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted { get; private set; }

    public void Set(Mode mode)
    {
        _mode = mode;
        if (mode != Mode.Reset)
        {
            return;
        }

        lock (_connections)
        {
            foreach (var (client, upstream) in _connections)
            {
                Reset(client);
                Reset(upstream);
            }

            _connections.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Accepted++;
            if (_mode == Mode.Reset)
            {
                Reset(client);
                continue;
            }

            _ = RunAsync(client);
        }
    }

    private async Task RunAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        try
        {
            if (_mode == Mode.Pass)
            {
                await upstream.ConnectAsync(_upstream, _stop.Token);
            }

            lock (_connections)
            {
                _connections.Add((client, upstream));
            }

            await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
        }
    }

    /// <summary>Copies from one side to the other while passing; drops what arrives while black-holed.</summary>
    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        var input = from.Connected ? from.GetStream() : null;
        if (input is null)
        {
            // The upstream of a connection accepted while black-holed: nothing will ever come from it.
            await Task.Delay(Timeout.Infinite, _stop.Token);
            return;
        }

        while (true)
        {
            var read = await input.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                to.Client.Shutdown(SocketShutdown.Send);
                return;
            }

            if (_mode == Mode.Pass && to.Connected)
            {
                await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
    }

    private static void Reset(TcpClient client)
    {
        try
        {
            if (client.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
            }

            client.Dispose();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections)
        {
            foreach (var (client, upstream) in _connections)
            {
                client.Dispose();
                upstream.Dispose();
            }
        }

        await _accepting.ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
