using System.Text.Json;
using CrossLogic.IntegrationTests.Link;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Observability;

/// <summary>The container's log format: one JSON object per line, each line of a node's stream scoped with its id.</summary>
[Collection(PostgresCollection.Name)]
public sealed class JsonLogTests(PostgresFixture db)
{
    [Fact]
    public async Task Json_logs_carry_the_node_id_of_the_stream_they_are_about()
    {
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString, new Dictionary<string, string>
        {
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__Console__FormatterOptions__IncludeScopes"] = "true",
        });
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, controlPlane.GrpcUrl, token);

        await controlPlane.Process.WaitForOutputAsync($"Node {nodeId} attached", TimeSpan.FromSeconds(20));
        var line = controlPlane.Process.Output.Split('\n').First(l => l.Contains($"Node {nodeId} attached", StringComparison.Ordinal));
        using var log = JsonDocument.Parse(line);
        Assert.Equal(1000, log.RootElement.GetProperty("EventId").GetInt32());
        Assert.Equal(nodeId, log.RootElement.GetProperty("State").GetProperty("NodeId").GetString());
        Assert.Contains(log.RootElement.GetProperty("Scopes").EnumerateArray(),
            scope => scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("NodeId", out var id) && id.GetString() == nodeId);
    }
}
