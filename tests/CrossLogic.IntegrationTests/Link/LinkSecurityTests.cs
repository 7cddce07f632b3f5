using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;

namespace CrossLogic.IntegrationTests.Link;

/// <summary>Hostile or broken agents: refused with a precise status, and nothing is written.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LinkSecurityTests(PostgresFixture db) : IAsyncLifetime
{
    private ControlPlaneProcess _controlPlane = null!;

    public async Task InitializeAsync() => _controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);

    public async Task DisposeAsync() => await _controlPlane.DisposeAsync();

    [Fact]
    public async Task A_wrong_or_missing_token_is_refused_with_unauthenticated()
    {
        var nodeId = NodeLinkTests.NewNodeId();
        await _controlPlane.CreateNodeAsync(nodeId);
        var before = await SnapshotAsync(nodeId);

        var wrong = await AttachExpectingErrorAsync("cln_not-a-real-token", ValidHello(nodeId));
        var missing = await AttachExpectingErrorAsync(null, ValidHello(nodeId));

        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, missing.StatusCode);
        Assert.Equal(before, await SnapshotAsync(nodeId));
    }

    [Fact]
    public async Task The_published_agent_with_a_bad_token_is_refused_and_keeps_retrying()
    {
        var nodeId = NodeLinkTests.NewNodeId();
        await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, "cln_wrong");

        await agent.Process.WaitForOutputAsync("refused this node's credential", TimeSpan.FromSeconds(10));
        Assert.False((await _controlPlane.GetNodeAsync(nodeId)).Connected);
        Assert.False(agent.Process.HasExited);
    }

    [Fact]
    public async Task A_token_for_node_a_cannot_attach_as_node_b()
    {
        var nodeA = NodeLinkTests.NewNodeId();
        var nodeB = NodeLinkTests.NewNodeId();
        var tokenA = await _controlPlane.CreateNodeAsync(nodeA);
        await _controlPlane.CreateNodeAsync(nodeB);
        var beforeA = await SnapshotAsync(nodeA);
        var beforeB = await SnapshotAsync(nodeB);

        var error = await AttachExpectingErrorAsync(tokenA, ValidHello(nodeB));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains(nodeB, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(beforeA, await SnapshotAsync(nodeA));
        Assert.Equal(beforeB, await SnapshotAsync(nodeB));
    }

    public static TheoryData<string, string> MalformedHellos => new()
    {
        { "missing node id", "node_id" },
        { "absurd cpu count", "host" },
        { "too many gpus", "gpus" },
        { "missing start time", "agent_start_time" },
        { "heartbeat first", "first message" },
    };

    [Theory]
    [MemberData(nameof(MalformedHellos))]
    public async Task A_malformed_hello_is_refused_with_invalid_argument_and_nothing_is_written(string defect, string expectedInDetail)
    {
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        var before = await SnapshotAsync(nodeId);
        var hello = ValidHello(nodeId);
        var first = new AgentMessage { Hello = hello };
        switch (defect)
        {
            case "missing node id": hello.NodeId = ""; break;
            case "absurd cpu count": hello.Host.CpuCount = 10_000_000; break;
            case "too many gpus": hello.Gpus.AddRange(Enumerable.Range(0, 100).Select(i => new GpuDevice { Index = i })); break;
            case "missing start time": hello.AgentStartTime = null; break;
            case "heartbeat first": first = new AgentMessage { Heartbeat = new Heartbeat { Sequence = 1 } }; break;
        }

        var error = await AttachExpectingErrorAsync(token, first);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(expectedInDetail, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(nodeId));
    }

    [Fact]
    public async Task A_heartbeat_whose_sequence_goes_back_closes_the_stream_with_invalid_argument()
    {
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        var client = new NodeLink.NodeLinkClient(_controlPlane.Channel);
        using var call = client.Attach(new Metadata { { "authorization", "Bearer " + token } });
        await call.RequestStream.WriteAsync(new AgentMessage { Hello = ValidHello(nodeId) });
        Assert.True(await call.ResponseStream.MoveNext(default));
        Assert.NotNull(call.ResponseStream.Current.Welcome);

        await call.RequestStream.WriteAsync(new AgentMessage { Heartbeat = new Heartbeat { Sequence = 5 } });
        Assert.True(await call.ResponseStream.MoveNext(default));
        Assert.Equal(5ul, call.ResponseStream.Current.HeartbeatAck.Sequence);
        await call.RequestStream.WriteAsync(new AgentMessage { Heartbeat = new Heartbeat { Sequence = 4 } });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(default));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(5ul, (await _controlPlane.GetNodeAsync(nodeId)).LastHeartbeatSequence);
    }

    [Fact]
    public async Task Admin_calls_without_the_admin_token_are_refused_over_grpc_and_rest()
    {
        var anonymous = new Contracts.V1.Fleet.FleetClient(_controlPlane.Channel);
        var grpcError = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.ListNodesAsync(new ListNodesRequest()));
        Assert.Equal(StatusCode.Unauthenticated, grpcError.StatusCode);

        var nodeToken = await _controlPlane.CreateNodeAsync(NodeLinkTests.NewNodeId());
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", nodeToken);
        var response = await http.GetAsync($"{_controlPlane.HttpUrl}/v1/nodes");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Bad_admin_requests_get_precise_statuses()
    {
        var fleet = _controlPlane.Fleet;
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(async () => await fleet.GetNodeAsync(new GetNodeRequest { Name = "nodes/absent-node" }))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await fleet.GetNodeAsync(new GetNodeRequest { Name = "absent-node" }))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await fleet.ListNodesAsync(new ListNodesRequest { PageSize = -1 }))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await fleet.ListNodesAsync(new ListNodesRequest { PageToken = "garbage" }))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await fleet.CreateNodeAsync(new CreateNodeRequest { NodeId = "Not_Valid", Node = new Node() }))).StatusCode);
        var nodeId = NodeLinkTests.NewNodeId();
        await _controlPlane.CreateNodeAsync(nodeId);
        Assert.Equal(StatusCode.AlreadyExists, (await Assert.ThrowsAsync<RpcException>(async () => await fleet.CreateNodeAsync(new CreateNodeRequest { NodeId = nodeId, Node = new Node() }))).StatusCode);
    }

    private static Hello ValidHello(string nodeId) => new()
    {
        NodeId = nodeId,
        BootId = Guid.NewGuid().ToString(),
        AgentVersion = "test",
        Host = new HostFacts { Hostname = "test", CpuCount = 2, MemoryBytes = 1 << 30 },
        AgentStartTime = Timestamp.FromDateTime(DateTime.UtcNow),
    };

    private async Task<RpcException> AttachExpectingErrorAsync(string? token, Hello hello) => await AttachExpectingErrorAsync(token, new AgentMessage { Hello = hello });

    private async Task<RpcException> AttachExpectingErrorAsync(string? token, AgentMessage first)
    {
        var client = new NodeLink.NodeLinkClient(_controlPlane.Channel);
        var headers = new Metadata();
        if (token is not null)
        {
            headers.Add("authorization", "Bearer " + token);
        }

        using var call = client.Attach(headers, deadline: DateTime.UtcNow.AddSeconds(10));
        try
        {
            await call.RequestStream.WriteAsync(first);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server may have refused before reading: the status below says why.
        }

        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(default));
    }

    /// <summary>Everything a refused attach must leave untouched.</summary>
    private async Task<string> SnapshotAsync(string nodeId)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT n.state || '/' || n.connected || '/' || n.lease_epoch || '/' || n.updated_at || '/' || n.boot_id || '/' ||
                   (SELECT count(*) FROM node_events e WHERE e.node_id = n.node_id)
              FROM nodes n WHERE n.node_id = @id
            """, connection);
        command.Parameters.AddWithValue("id", nodeId);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
