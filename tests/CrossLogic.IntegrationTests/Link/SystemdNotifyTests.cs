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

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received);
    }
}
