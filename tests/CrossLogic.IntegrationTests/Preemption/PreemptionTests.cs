using System.Diagnostics;
using CrossLogic.Contracts.V1;
using CrossLogic.IntegrationTests.Link;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Preemption;

/// <summary>
/// The agent's preemption watchers against a fake of each cloud's metadata service: a notice reaches the control plane
/// as an event within 1.5 s, the node drains (told by the control plane, or on its own when that is unreachable), Azure
/// is acknowledged after the drain, and a metadata service that fails never produces a notice.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PreemptionTests(PostgresFixture db)
{
    private static readonly TimeSpan NoticeBudget = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task An_aws_spot_notice_reaches_the_control_plane_within_1_5_s_across_token_expiry()
    {
        await using var metadata = FakeMetadataServer.Start();
        metadata.AwsTokenUses = 3;
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);
        var (nodeId, agent) = await StartAgentAsync(controlPlane, "aws", metadata, engine: false);
        await using var _ = agent;
        await Eventually.TrueAsync(() => metadata.AwsTokensIssued >= 3, TimeSpan.FromSeconds(15), "tokens renewed after expiry", pollMs: 50);

        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        var clock = Stopwatch.StartNew();
        metadata.SetAwsInstanceAction($$"""{"action": "terminate", "time": "{{deadline.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}"}""");
        var notice = await WaitForEventAsync(controlPlane, nodeId, "PREEMPTION_NOTICE");
        Console.WriteLine($"aws notice → control plane: {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed <= NoticeBudget, $"{clock.ElapsedMilliseconds} ms");
        Assert.Equal(("aws", "terminate"), (notice.Detail["cloud"], notice.Detail["action"]));
        Assert.Equal(deadline.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss"), notice.Detail["deadline"][..19]);
        Assert.DoesNotContain(await controlPlane.EventsAsync(nodeId), e => e.Kind == "METADATA_UNAVAILABLE");

        // Seen on every poll, raised once.
        await Task.Delay(1000);
        Assert.Single(await controlPlane.EventsAsync(nodeId), e => e.Kind == "PREEMPTION_NOTICE");
    }

    [Fact]
    public async Task A_gcp_preemption_arrives_through_the_hanging_get_within_1_5_s()
    {
        await using var metadata = FakeMetadataServer.Start();
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);
        var (nodeId, agent) = await StartAgentAsync(controlPlane, "gcp", metadata, engine: false);
        await using var _ = agent;
        await Task.Delay(1500);

        var clock = Stopwatch.StartNew();
        metadata.SetGcpPreempted(true);
        var notice = await WaitForEventAsync(controlPlane, nodeId, "PREEMPTION_NOTICE");
        Console.WriteLine($"gcp notice → control plane: {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed <= NoticeBudget, $"{clock.ElapsedMilliseconds} ms");
        Assert.Equal(("gcp", "preempted"), (notice.Detail["cloud"], notice.Detail["action"]));
    }

    [Fact]
    public async Task An_azure_eviction_drains_the_node_and_is_acknowledged_after_the_drain()
    {
        await using var metadata = FakeMetadataServer.Start();
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);
        var (nodeId, agent) = await StartAgentAsync(controlPlane, "azure", metadata, engine: true);
        await using var _ = agent;
        await Eventually.TrueAsync(async () => (await controlPlane.GetNodeAsync(nodeId)).State == Node.Types.State.Ready, TimeSpan.FromSeconds(40), "node ready", pollMs: 100);

        const string EventId = "C7061BAC-AFDC-4513-B24B-AA5F13A16123";
        var clock = Stopwatch.StartNew();
        metadata.SetAzureDocument($$"""
            {"DocumentIncarnation": 2, "Events": [{"EventId": "{{EventId}}", "EventStatus": "Scheduled", "EventType": "Preempt",
              "ResourceType": "VirtualMachine", "Resources": ["vm"], "NotBefore": "{{DateTimeOffset.UtcNow.AddSeconds(40):R}}",
              "Description": "Virtual machine is being evicted from Azure.", "EventSource": "Platform", "DurationInSeconds": -1}]}
            """);
        await WaitForEventAsync(controlPlane, nodeId, "PREEMPTION_NOTICE");
        Assert.True(clock.Elapsed <= NoticeBudget, $"{clock.ElapsedMilliseconds} ms");

        // The control plane takes it out of routing and tells it to drain; the agent acknowledges once drained.
        var drained = await WaitForEventAsync(controlPlane, nodeId, "ENGINE_DRAINED", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => metadata.AzureAcknowledgements.Count > 0, TimeSpan.FromSeconds(10), "StartRequests posted", pollMs: 50);
        Assert.Contains(EventId, metadata.AzureAcknowledgements[0]);
        Assert.True(drained.Time.ToDateTimeOffset() <= metadata.FirstAcknowledgementAt, "acknowledged only after the drain");
        Assert.Contains("will be preempted", controlPlane.Process.Output);
    }

    [Fact]
    public async Task A_metadata_service_that_is_down_or_answers_garbage_never_produces_a_notice()
    {
        await using var metadata = FakeMetadataServer.Start();
        metadata.Failure = FakeMetadataServer.Fault.Down;
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);
        var (nodeId, agent) = await StartAgentAsync(controlPlane, "aws", metadata, engine: false);
        await using var _ = agent;

        var unavailable = await WaitForEventAsync(controlPlane, nodeId, "METADATA_UNAVAILABLE", TimeSpan.FromSeconds(10));
        Assert.Contains("HTTP 500", unavailable.Reason);
        await Task.Delay(1500);
        metadata.Failure = FakeMetadataServer.Fault.Garbage;
        metadata.SetAwsInstanceAction("""{"action": "terminate", "time": "2026-11-23T08:22:00Z"}""");
        await Task.Delay(2000);

        var events = await controlPlane.EventsAsync(nodeId);
        Assert.DoesNotContain(events, e => e.Kind == "PREEMPTION_NOTICE");
        Assert.Single(events, e => e.Kind == "METADATA_UNAVAILABLE");
        Assert.Contains("no notice is inferred", agent.Process.Output);
        Assert.Contains("captive portal", agent.Process.Output);
    }

    [Fact]
    public async Task Without_the_control_plane_the_agent_drains_on_its_own_before_the_deadline()
    {
        await using var metadata = FakeMetadataServer.Start();
        var probePort = FreePort.Next();
        var config = AgentProcess.Config("t-alone-" + Guid.NewGuid().ToString("N")[..6], $"http://127.0.0.1:{FreePort.Next()}", "cln_unused", probePort);
        config["Engine"] = AgentProcess.MockEngine(Path.Combine(Path.GetTempPath(), $"engine-{Guid.NewGuid():N}.log"));
        config["Preemption"] = Watch("aws", metadata);
        await using var agent = AgentProcess.StartWithConfig(config, (string)config["NodeId"], probePort);
        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.State == EngineStatus.Types.State.Ready,
            TimeSpan.FromSeconds(40), "engine ready", pollMs: 100);

        metadata.SetAwsInstanceAction($$"""{"action": "terminate", "time": "{{DateTimeOffset.UtcNow.AddSeconds(30).UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}"}""");
        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.State != EngineStatus.Types.State.Ready,
            TimeSpan.FromSeconds(5), "engine draining on the agent's own", pollMs: 50);
        await agent.Process.WaitForOutputAsync("control plane unreachable", TimeSpan.FromSeconds(5));
    }

    private static Dictionary<string, object> Watch(string cloud, FakeMetadataServer metadata) => new()
    {
        ["Cloud"] = cloud,
        ["AwsBaseUrl"] = metadata.Url,
        ["GcpBaseUrl"] = metadata.Url,
        ["AzureBaseUrl"] = metadata.Url,
        ["PollIntervalMs"] = 200,
        ["RequestTimeoutMs"] = 1000,
        ["GcpWaitTimeoutSeconds"] = 5,
        ["SelfDrainAfterMs"] = 1000,
    };

    private static async Task<(string NodeId, AgentProcess Agent)> StartAgentAsync(ControlPlaneProcess controlPlane, string cloud, FakeMetadataServer metadata, bool engine)
    {
        var nodeId = NodeLinkTests.NewNodeId();
        var probePort = FreePort.Next();
        Dictionary<string, object> config;
        if (engine)
        {
            var mock = AgentProcess.MockEngine(Path.Combine(Path.GetTempPath(), $"engine-{nodeId}.log"));
            var created = await controlPlane.CreateServingNodeAsync(nodeId, "test-model", $"http://127.0.0.1:{mock["Port"]}");
            mock["ApiKey"] = created.EngineApiKey;
            config = AgentProcess.Config(nodeId, controlPlane.GrpcUrl, created.Token, probePort);
            config["Engine"] = mock;
        }
        else
        {
            config = AgentProcess.Config(nodeId, controlPlane.GrpcUrl, await controlPlane.CreateNodeAsync(nodeId), probePort);
        }

        config["Preemption"] = Watch(cloud, metadata);
        return (nodeId, AgentProcess.StartWithConfig(config, nodeId, probePort));
    }

    private static async Task<NodeEventRecord> WaitForEventAsync(ControlPlaneProcess controlPlane, string nodeId, string kind, TimeSpan? timeout = null)
    {
        NodeEventRecord? found = null;
        await Eventually.TrueAsync(async () =>
        {
            found = (await controlPlane.EventsAsync(nodeId)).FirstOrDefault(e => e.Kind == kind);
            return found is not null;
        }, timeout ?? TimeSpan.FromSeconds(5), $"{kind} of {nodeId}", pollMs: 20);
        return found!;
    }
}
