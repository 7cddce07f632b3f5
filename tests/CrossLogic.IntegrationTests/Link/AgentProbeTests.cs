using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using Grpc.Health.V1;

namespace CrossLogic.IntegrationTests.Link;

/// <summary>The agent's own gRPC API and its start-up checks.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AgentProbeTests(PostgresFixture db) : IAsyncLifetime
{
    private ControlPlaneProcess _controlPlane = null!;

    public async Task InitializeAsync() => _controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);

    public async Task DisposeAsync() => await _controlPlane.DisposeAsync();

    [Fact]
    public async Task Probe_and_grpc_health_answer_with_the_link_state()
    {
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token);

        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).Link.State == LinkStatus.Types.State.Connected, TimeSpan.FromSeconds(10), "probe reports connected");
        var probe = await agent.Probe.ProbeAsync(new ProbeRequest());
        Assert.Equal(nodeId, probe.NodeId);
        Assert.Equal(1, probe.Link.LeaseEpoch);
        Assert.Equal(EngineStatus.Types.State.NotConfigured, probe.Engine.State);
        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).Link.PendingEvents == 0, TimeSpan.FromSeconds(5), "AGENT_STARTED acknowledged");

        var health = new Health.HealthClient(agent.ProbeChannel);
        var status = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, status.Status);
    }

    [Fact]
    public async Task The_probe_answers_while_the_control_plane_is_down()
    {
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token);
        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).Link.State == LinkStatus.Types.State.Connected, TimeSpan.FromSeconds(10), "connected");

        await _controlPlane.StopAsync();

        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).Link is { State: LinkStatus.Types.State.Connecting, PendingEvents: > 0 }, TimeSpan.FromSeconds(10), "probe says reconnecting, LINK_LOST held");
    }

    public static TheoryData<string, string> BadConfigs => new()
    {
        { """{ "ControlPlane": { "Url": "http://127.0.0.1:1", "Token": "t" } }""", "NodeId: is required" },
        { """{ "NodeId": "n1", "ControlPlane": { "Url": "ftp://x", "Token": "t" } }""", "ControlPlane:Url" },
        { """{ "NodeId": "n1", "ControlPlane": { "Url": "http://127.0.0.1:1" } }""", "ControlPlane:Token" },
        { """{ "NodeId": "n1", "ControlPlane": { "Url": "http://127.0.0.1:1", "Token": "t" }, "Probe": { "Port": "many" } }""", "Probe:Port" },
        { """{ "NodeId": "n1", "ControlPlane": { "Url": "http://127.0.0.1:1", "Token": "t" }, "Probe": { "Port": 70000 } }""", "Probe:Port: must be between 0 and 65535" },
        { """{ "NodeId": """, "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public async Task A_bad_config_fails_at_start_with_the_key_and_exit_code_2(string config, string expected)
    {
        await using var agent = AgentProcess.StartWithConfig(config, "n1", 0);

        Assert.True(await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, agent.Process.ExitCode);
        Assert.Contains(expected, agent.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_overrides_the_config_file()
    {
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        var probePort = FreePort.Next();
        var config = AgentProcess.Config(nodeId, "http://127.0.0.1:1", "wrong-token", probePort);
        await using var agent = AgentProcess.StartWithConfig(config, nodeId, probePort, new Dictionary<string, string>
        {
            ["CROSSLOGIC_AGENT_ControlPlane__Url"] = _controlPlane.GrpcUrl,
            ["CROSSLOGIC_AGENT_CONTROLPLANE__TOKEN"] = token,
        });

        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).Connected, TimeSpan.FromSeconds(10), "attached with the overridden URL and token");
    }
}
