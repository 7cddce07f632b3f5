using System.Net.Sockets;
using System.Text;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Link;

/// <summary>The agent under systemd (Type=notify): READY=1 once it serves, STOPPING=1 on SIGTERM.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SystemdNotifyTests(PostgresFixture db)
{
    [Fact]
    public async Task The_agent_notifies_ready_and_stopping_over_NOTIFY_SOCKET()
    {
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await controlPlane.CreateNodeAsync(nodeId);
        var socketPath = Path.Combine(Path.GetTempPath(), $"notify-{Guid.NewGuid():N}.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        try
        {
            await using var agent = AgentProcess.Start(nodeId, controlPlane.GrpcUrl, token, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });

            Assert.Equal("READY=1", await ReceiveAsync(socket));
            var probe = await agent.Probe.ProbeAsync(new Contracts.V1.ProbeRequest());
            Assert.Equal(nodeId, probe.NodeId);

            agent.Process.Signal(Signals.SigTerm);
            Assert.Equal("STOPPING=1", await ReceiveAsync(socket));
            Assert.True(await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    [Fact]
    public async Task The_agent_pings_the_watchdog_systemd_asked_for_and_only_then()
    {
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await controlPlane.CreateNodeAsync(nodeId);
        var socketPath = Path.Combine(Path.GetTempPath(), $"notify-{Guid.NewGuid():N}.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        try
        {
            // WatchdogSec=0.3 s: a ping every 100 ms.
            await using (AgentProcess.Start(nodeId, controlPlane.GrpcUrl, token, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "300000" }))
            {
                var messages = new List<string>();
                while (messages.Count(m => m == "WATCHDOG=1") < 5)
                {
                    messages.Add(await ReceiveAsync(socket));
                }

                Assert.Contains("READY=1", messages.Concat([await ReceiveAsync(socket), await ReceiveAsync(socket)]));
            }

            // What the first agent sent while stopping is not the second's.
            await DrainAsync(socket, TimeSpan.FromMilliseconds(500));

            // WATCHDOG_PID names another process (the agent inherited the variables): it must not ping.
            var other = NodeLinkTests.NewNodeId();
            var otherToken = await controlPlane.CreateNodeAsync(other);
            await using var child = AgentProcess.Start(other, controlPlane.GrpcUrl, otherToken,
                new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "300000", ["WATCHDOG_PID"] = "1" });
            var seen = await ReceiveForAsync(socket, TimeSpan.FromSeconds(2));
            Assert.Contains("READY=1", seen);
            Assert.DoesNotContain("WATCHDOG=1", seen);
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    /// <summary>Every message until <paramref name="window"/> has passed.</summary>
    private static async Task<List<string>> ReceiveForAsync(Socket socket, TimeSpan window)
    {
        var seen = new List<string>();
        using var deadline = new CancellationTokenSource(window);
        try
        {
            while (true)
            {
                var buffer = new byte[256];
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                seen.Add(Encoding.UTF8.GetString(buffer, 0, received));
            }
        }
        catch (OperationCanceledException)
        {
            return seen;
        }
    }

    /// <summary>Reads until the socket has been quiet for <paramref name="quiet"/>.</summary>
    private static async Task DrainAsync(Socket socket, TimeSpan quiet)
    {
        while ((await ReceiveForAsync(socket, quiet)).Count > 0)
        {
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received);
    }
}
