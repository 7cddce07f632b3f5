using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;

namespace CrossLogic.Agent.Hosting;

/// <summary>
/// sd_notify(3) over $NOTIFY_SOCKET: READY=1 once the probe API listens, STOPPING=1 at shutdown.
/// Written here rather than taken from Microsoft.Extensions.Hosting.Systemd because the watchdog pings need the same socket.
/// </summary>
internal sealed class SystemdNotifier(IHostApplicationLifetime lifetime) : IHostedService
{
    private readonly string? _socketPath = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");

    public bool Enabled => !string.IsNullOrEmpty(_socketPath);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Enabled)
        {
            lifetime.ApplicationStarted.Register(() => Notify("READY=1"));
            lifetime.ApplicationStopping.Register(() => Notify("STOPPING=1"));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Notify(string state)
    {
        if (_socketPath is not { Length: > 0 } path)
        {
            return;
        }

        // A leading '@' names an abstract socket.
        var address = path[0] == '@' ? "\0" + path[1..] : path;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(address));
            socket.Send(Encoding.UTF8.GetBytes(state));
        }
        catch (SocketException)
        {
            // systemd gone or not listening: nothing to tell.
        }
    }
}
