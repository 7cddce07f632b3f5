using System.Globalization;
using System.Text.Json;
using CrossLogic.Contracts.V1;
using CrossLogic.IntegrationTests.Fleet;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Faults;

/// <summary>
/// The fault-injection suite on deployments of the local provisioner (agents as detached processes, mock engines,
/// the reconciler replacing what the health decider gives up on), with requests flowing through the gateway.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetFaultTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_frozen_agent_is_out_of_routing_within_3_s_replaced_after_its_grace_and_fenced_when_it_thaws()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres, new Dictionary<string, string>
        {
            ["Health__UnreachableGraceSeconds"] = "4",
            ["Health__ProbeTimeoutMs"] = "500",
            ["Health__CloudCheckIntervalMs"] = "500",
        });
        await fleet.CreateDeploymentAsync("freeze", replicas: 2);
        var ready = await fleet.WaitReadyAsync("freeze", 2);
        var (key, _) = await fleet.ControlPlane.CreateApiKeyAsync("faults");
        foreach (var node in ready)
        {
            await FaultKit.WaitRoutedAsync(fleet.ControlPlane, node.NodeId, TimeSpan.FromSeconds(20));
        }

        await using var load = new GatewayLoad(fleet.ControlPlane.GatewayUrl, key, FleetHarness.Model);
        await Task.Delay(300);
        var frozen = ready[0].NodeId;
        var pid = fleet.Local!.Running()[frozen];

        // Only the agent stops (its engine keeps answering): any request routed there would be seen arriving.
        var stoppedAt = FaultKit.NowMs();
        Signals.Send(pid, Signals.SigStop);
        try
        {
            var outAt = await FaultKit.WaitOutAsync(fleet.ControlPlane, frozen, stoppedAt, TimeSpan.FromSeconds(10));
            FaultKit.Figure("freeze_out_of_routing_ms", (outAt - stoppedAt).ToString(CultureInfo.InvariantCulture));
            // The detector's ceiling is 2.5 s of silence; the 3 s target is the benchmark's to report, this bounds the mechanism.
            Assert.True(outAt - stoppedAt <= 3_500, $"out of routing {outAt - stoppedAt} ms after the freeze");

            await Eventually.TrueAsync(async () => (await fleet.ControlPlane.EventsAsync(frozen)).Any(e => e.Kind == "FENCED"), TimeSpan.FromSeconds(30), "fenced after its grace");
            var unreachable = (await fleet.ControlPlane.EventsAsync(frozen)).Single(e => e.Kind == "STATE_CHANGED" && e.Detail["to"] == "UNREACHABLE");
            var fenced = (await fleet.ControlPlane.EventsAsync(frozen)).Single(e => e.Kind == "FENCED");
            Assert.True(fenced.Time.ToDateTimeOffset() - unreachable.Time.ToDateTimeOffset() >= TimeSpan.FromSeconds(4), "not replaced before the grace ended");
            Assert.Contains("replaced", fenced.Reason);
        }
        finally
        {
            Signals.TrySend(pid, Signals.SigCont);
        }

        // Thawed: it is told to shut down (or torn down first), and never routed again.
        await Eventually.TrueAsync(() => !LocalClusters.IsAlive(pid), TimeSpan.FromSeconds(20), "the thawed agent is gone");
        var replaced = await fleet.WaitReadyAsync("freeze", 2);
        Assert.DoesNotContain(frozen, replaced.Select(n => n.NodeId));
        var routing = await FaultKit.RoutingAsync(fleet.ControlPlane, frozen);
        var lastOut = routing.Last(r => !r.Routed).At;
        Assert.DoesNotContain(routing, r => r.Routed && r.At > stoppedAt);
        var engineLog = FaultKit.LocalEngineLog(fleet.Local, frozen);
        Assert.Contains(FaultKit.Arrivals(engineLog), a => a < stoppedAt);
        var afterOut = FaultKit.ArrivalsAfter(engineLog, lastOut);
        FaultKit.Figure("freeze_requests_after_out", afterOut.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, afterOut);
        var launches = (await fleet.DeploymentEventsAsync("freeze")).Count(e => e.Kind == "LAUNCH");
        Assert.Equal(3, launches);
    }

    [Fact]
    public async Task A_preemption_notice_takes_the_node_out_at_once_launches_its_replacement_and_lets_requests_finish()
    {
        await using var metadata = FakeMetadataServer.Start();
        var agentSettings = JsonSerializer.Serialize(new
        {
            Preemption = new { Cloud = "aws", AwsBaseUrl = metadata.Url, PollIntervalMs = 200, RequestTimeoutMs = 500 },
            // Slow tokens: a request runs about 1.5 s, so some are in flight when the notice comes.
            Engine = new { Environment = new Dictionary<string, string> { ["MOCK_ENGINE_TOKENS_PER_SECOND"] = "20" } },
        });
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres, new Dictionary<string, string>
        {
            ["Provisioners__Local__AgentSettingsJson"] = agentSettings,
        });
        await fleet.CreateDeploymentAsync("preempt", replicas: 1);
        var node = (await fleet.WaitReadyAsync("preempt", 1))[0].NodeId;
        // Every token so far is the first machine's (the second is not launched yet); a watcher whose request timed out on a
        // busy machine takes a new token, so there may be more than one.
        await Eventually.TrueAsync(() => metadata.CurrentAwsMachines().Count >= 1, TimeSpan.FromSeconds(10), "the first machine watches the metadata");
        var doomed = metadata.CurrentAwsMachines();
        await fleet.Fleet.UpdateDeploymentAsync(new UpdateDeploymentRequest
        {
            Deployment = new Deployment { Name = "deployments/preempt", Replicas = 2 },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "replicas" } },
        });
        var both = await fleet.WaitReadyAsync("preempt", 2);
        var (key, _) = await fleet.ControlPlane.CreateApiKeyAsync("faults");
        foreach (var ready in both)
        {
            await FaultKit.WaitRoutedAsync(fleet.ControlPlane, ready.NodeId, TimeSpan.FromSeconds(20));
        }

        await using var load = new GatewayLoad(fleet.ControlPlane.GatewayUrl, key, FleetHarness.Model, concurrency: 4, maxTokens: 30);
        await Task.Delay(2_000);

        var noticeAt = FaultKit.NowMs();
        metadata.SetAwsInstanceActionFor(doomed, $$"""{"action": "terminate", "time": "{{DateTimeOffset.UtcNow.AddSeconds(120):yyyy-MM-ddTHH:mm:ssZ}}"}""");
        var outAt = await FaultKit.WaitOutAsync(fleet.ControlPlane, node, noticeAt, TimeSpan.FromSeconds(5));
        DeploymentEventRecord? launch = null;
        await Eventually.TrueAsync(async () =>
        {
            launch = (await fleet.DeploymentEventsAsync("preempt")).Where(e => e.Kind == "LAUNCH").OrderBy(e => e.Time.ToDateTimeOffset()).Skip(2).FirstOrDefault();
            return launch is not null;
        }, TimeSpan.FromSeconds(10), "replacement launch recorded");
        var launchAt = launch!.Time.ToDateTimeOffset().ToUnixTimeMilliseconds();
        FaultKit.Figure("preempt_out_of_routing_ms", (outAt - noticeAt).ToString(CultureInfo.InvariantCulture));
        FaultKit.Figure("preempt_replacement_ms", (launchAt - noticeAt).ToString(CultureInfo.InvariantCulture));
        Assert.True(outAt - noticeAt <= 1_000, $"out of routing {outAt - noticeAt} ms after the notice");
        Assert.True(launchAt - noticeAt <= 1_000, $"replacement recorded {launchAt - noticeAt} ms after the notice");

        // The requests running on the preempted node finish there (the drain waits for them); none fails, the other
        // replica takes the new ones.
        await Eventually.TrueAsync(
            async () => (await fleet.NodesAsync("preempt")).Count(n => n.State == Node.Types.State.Ready && n.NodeId != node) == 2,
            TimeSpan.FromSeconds(60), "the replacement ready");
        // Torn down: its agent gone and its directory moved aside (after the agent stops), so its log is read where it rests.
        await Eventually.TrueAsync(
            () => !fleet.Local!.Running().ContainsKey(node) && !Directory.Exists(Path.Combine(fleet.Local.Directory, node)),
            TimeSpan.FromSeconds(30), "the preempted machine torn down after its drain");
        var failed = load.Failed;
        var engineLog = FaultKit.LocalEngineLog(fleet.Local!, node);
        var afterOut = FaultKit.ArrivalsAfter(engineLog, outAt);
        FaultKit.Figure("preempt_requests_after_out", afterOut.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, afterOut);
        var log = File.ReadAllText(engineLog);
        Assert.DoesNotContain("(client disconnected)", log);
        Assert.Equal(0, failed);
        Assert.True(FaultKit.Arrivals(engineLog).Count(a => a < outAt) > 0, "the preempted node was serving when the notice came");
    }

    [Fact]
    public async Task A_control_plane_killed_and_restarted_gets_its_agents_back_and_replaces_nothing()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres, new Dictionary<string, string>
        {
            ["Health__ReconnectGraceSeconds"] = "3",
            ["Health__UnreachableGraceSeconds"] = "3",
        });
        await fleet.CreateDeploymentAsync("restart", replicas: 2);
        var before = (await fleet.WaitReadyAsync("restart", 2)).Select(n => (n.NodeId, n.LeaseEpoch)).OrderBy(n => n.NodeId).ToList();
        var pids = fleet.Local!.Running();

        fleet.ControlPlane.Process.Kill();
        await Task.Delay(2_000);
        await fleet.ControlPlane.StartAsync();

        // Agents dial back by themselves; once every grace has passed nothing was replaced.
        await Eventually.TrueAsync(async () =>
        {
            var nodes = await fleet.NodesAsync("restart");
            return nodes.Count == 2 && nodes.All(n => n.State == Node.Types.State.Ready && n.Connected && n.LeaseEpoch > before.Single(b => b.NodeId == n.NodeId).LeaseEpoch);
        }, TimeSpan.FromSeconds(30), "both agents attached again");
        await Task.Delay(TimeSpan.FromSeconds(8));
        var after = await fleet.NodesAsync("restart");
        Assert.Equal(before.Select(b => b.NodeId), after.Select(n => n.NodeId).Order());
        Assert.All(after, n => Assert.Equal(Node.Types.State.Ready, n.State));
        Assert.Equal(2, (await fleet.DeploymentEventsAsync("restart")).Count(e => e.Kind == "LAUNCH"));
        Assert.Equal(pids.Values.Order(), fleet.Local.Running().Values.Order());
    }
}
