using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using Grpc.Core;
using Npgsql;

namespace CrossLogic.IntegrationTests.Link;

/// <summary>The agent ↔ control plane link end to end: real PostgreSQL, real control plane, the published AOT agent.</summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeLinkTests(PostgresFixture db) : IAsyncLifetime
{
    private ControlPlaneProcess _controlPlane = null!;

    public async Task InitializeAsync() => _controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);

    public async Task DisposeAsync() => await _controlPlane.DisposeAsync();

    [Fact]
    public async Task Agent_appears_in_ListNodes_over_grpc_and_rest()
    {
        var nodeId = NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token);

        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).Connected, TimeSpan.FromSeconds(10), "node connected");

        var listed = await ListAllNodesAsync();
        var node = Assert.Single(listed, n => n.NodeId == nodeId);
        Assert.True(node.Connected);
        Assert.Equal(Node.Types.State.Starting, node.State);
        Assert.Equal(1, node.LeaseEpoch);
        Assert.False(string.IsNullOrEmpty(node.BootId));
        Assert.Equal($"127.0.0.1:{agent.ProbePort}", node.ReportedProbeEndpoint);
        Assert.True(node.Host.CpuCount > 0);

        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", ControlPlaneProcess.AdminToken);
        var json = await http.GetStringAsync($"{_controlPlane.HttpUrl}/v1/nodes?page_size=1000");
        var parsed = ListNodesResponse.Parser.WithDiscardUnknownFields(true).ParseJson(json);
        var restNode = Assert.Single(parsed.Nodes, n => n.NodeId == nodeId);
        Assert.True(restNode.Connected);
        Assert.Contains("\"state\":\"STARTING\"", await http.GetStringAsync($"{_controlPlane.HttpUrl}/v1/nodes/{nodeId}"));
    }

    [Fact]
    public async Task Heartbeats_advance_last_seen_in_memory_and_in_the_database()
    {
        var nodeId = NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token);

        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).LastHeartbeatSequence >= 1, TimeSpan.FromSeconds(10), "first heartbeat");
        var first = await _controlPlane.GetNodeAsync(nodeId);
        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).LastHeartbeatSequence >= first.LastHeartbeatSequence + 2, TimeSpan.FromSeconds(10), "two more heartbeats");
        var later = await _controlPlane.GetNodeAsync(nodeId);
        Assert.True(later.LastSeenTime.ToDateTime() > first.LastSeenTime.ToDateTime());

        // The batch writer (every 200 ms in tests) carries it to PostgreSQL.
        await Eventually.TrueAsync(async () => await StoredSequenceAsync(nodeId) >= (long)later.LastHeartbeatSequence, TimeSpan.FromSeconds(5), "heartbeat flushed to nodes.last_heartbeat_sequence");
    }

    [Fact]
    public async Task Sigkill_of_the_agent_marks_the_node_disconnected_within_one_second()
    {
        var nodeId = NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token);
        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).LastHeartbeatSequence >= 1, TimeSpan.FromSeconds(10), "attached and beating");

        agent.Process.Kill();
        var elapsed = await Eventually.TrueAsync(async () => !(await _controlPlane.GetNodeAsync(nodeId)).Connected, TimeSpan.FromSeconds(1), "node disconnected after SIGKILL", pollMs: 5);

        Assert.True(elapsed < TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(async () => (await _controlPlane.EventsAsync(nodeId)).Any(e => e.Kind == "LINK_CLOSED" && e.Reason.StartsWith("stream broken", StringComparison.Ordinal)), TimeSpan.FromSeconds(2), "LINK_CLOSED event with the reason");
    }

    [Fact]
    public async Task After_a_control_plane_restart_the_agent_reconnects_and_the_record_is_intact()
    {
        var nodeId = NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token);
        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).LastHeartbeatSequence >= 1, TimeSpan.FromSeconds(10), "attached");
        var before = await _controlPlane.GetNodeAsync(nodeId);

        await _controlPlane.StopAsync();
        await _controlPlane.StartAsync();

        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)) is { Connected: true, LeaseEpoch: 2 }, TimeSpan.FromSeconds(15), "agent reconnected by itself with a new lease epoch");
        var after = await _controlPlane.GetNodeAsync(nodeId);
        Assert.Equal(before.CreateTime, after.CreateTime);
        Assert.Equal(before.BootId, after.BootId);
        Assert.Equal(before.State, after.State);
        Assert.Equal(before.Host, after.Host);
        Assert.False(agent.Process.HasExited);

        // Raised while disconnected, delivered after the reconnect, stored once.
        await Eventually.TrueAsync(async () => (await _controlPlane.EventsAsync(nodeId)).Count(e => e.Kind == "LINK_LOST") == 1, TimeSpan.FromSeconds(5), "LINK_LOST delivered after reconnect");
        var events = await _controlPlane.EventsAsync(nodeId);
        Assert.Single(events, e => e.Kind == "AGENT_STARTED");
        Assert.Equal(2, events.Count(e => e.Kind == "LINK_ATTACHED"));
        Assert.Contains(events, e => e.Kind == "LINK_CLOSED" && e.Reason == "control plane shutting down");
    }

    [Fact]
    public async Task After_a_control_plane_crash_live_agents_reattach_and_dead_ones_are_not_shown_connected()
    {
        var survivor = NewNodeId();
        var casualty = NewNodeId();
        await using var survivorAgent = AgentProcess.Start(survivor, _controlPlane.GrpcUrl, await _controlPlane.CreateNodeAsync(survivor));
        await using var casualtyAgent = AgentProcess.Start(casualty, _controlPlane.GrpcUrl, await _controlPlane.CreateNodeAsync(casualty));
        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(survivor)).Connected && (await _controlPlane.GetNodeAsync(casualty)).Connected, TimeSpan.FromSeconds(10), "both attached");
        await Task.Delay(500); // let a heartbeat flush reach the database, as it would in a long-running fleet

        _controlPlane.Process.Kill(); // no detach is recorded: the rows still say connected
        casualtyAgent.Process.Kill();
        await _controlPlane.StartAsync();

        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(survivor)) is { Connected: true, LeaseEpoch: 2 }, TimeSpan.FromSeconds(15), "the survivor reattached");
        await Eventually.TrueAsync(async () => !(await _controlPlane.GetNodeAsync(casualty)).Connected, TimeSpan.FromSeconds(6), "the dead node's stale 'connected' is not believed");
    }

    [Fact]
    public async Task Sigterm_says_goodbye_and_the_agent_exits_cleanly()
    {
        var nodeId = NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token);
        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).Connected, TimeSpan.FromSeconds(10), "attached");

        agent.Process.Signal(Signals.SigTerm);

        Assert.True(await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)), agent.Process.Output);
        Assert.Equal(0, agent.Process.ExitCode);
        var events = await _controlPlane.EventsAsync(nodeId);
        Assert.Contains(events, e => e.Kind == "LINK_CLOSED" && e.Reason == "goodbye: agent stopping");
        Assert.False((await _controlPlane.GetNodeAsync(nodeId)).Connected);
    }

    private async Task<List<Node>> ListAllNodesAsync()
    {
        var nodes = new List<Node>();
        var request = new ListNodesRequest { PageSize = 2 };
        do
        {
            var page = await _controlPlane.Fleet.ListNodesAsync(request);
            nodes.AddRange(page.Nodes);
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);
        return nodes;
    }

    private async Task<long> StoredSequenceAsync(string nodeId)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT last_heartbeat_sequence FROM nodes WHERE node_id = @id", connection);
        command.Parameters.AddWithValue("id", nodeId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal static string NewNodeId() => "t-" + Guid.NewGuid().ToString("N")[..10];
}
