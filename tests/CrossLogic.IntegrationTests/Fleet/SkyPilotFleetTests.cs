using System.Diagnostics;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.IntegrationTests.Fleet;

/// <summary>Deployments through the SkyPilot provisioner against the fake `sky` CLI, whose boot command runs the real
/// agent on the mock engine as the task's setup and run would on a VM.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SkyPilotFleetTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_deployment_of_two_replicas_reaches_two_ready_nodes_on_the_cheapest_spot_offer()
    {
        await using var fleet = await FleetHarness.StartSkyAsync(postgres.Postgres);
        await fleet.CreateDeploymentAsync("sky-two", replicas: 2);
        var ready = await fleet.WaitReadyAsync("sky-two", 2);

        // L4 spot: GCP us-east4 (g2-standard-8 0.11702 + L4 0.2233) is the cheapest offer in the catalog.
        Assert.All(ready, n => Assert.Equal(("gcp", "us-east4", true), (n.Cloud, n.Region, n.Spot)));
        Assert.All(ready, n => Assert.Equal(0.34032, n.PricePerHour, 5));
        Assert.All(ready, n => Assert.Matches("^cic-gcp-us-east4-l4-spot-[a-z0-9]{6}$", n.NodeId));
        var clusters = await fleet.Sky!.ClustersAsync();
        Assert.Equal(ready.Select(n => n.NodeId).Order(), clusters.Select(c => c.Name).Order());

        // The node's secrets reach the machine through --secret NAME (values in sky's environment), never the YAML or argv.
        var launches = fleet.Sky.Calls().Where(c => c.Argv.FirstOrDefault() == "launch").ToList();
        Assert.Equal(2, launches.Count);
        foreach (var launch in launches)
        {
            Assert.Contains("-y", launch.Argv);
            Assert.Contains("CROSSLOGIC_NODE_TOKEN", launch.Argv);
            Assert.DoesNotContain(launch.Argv, a => a.Contains("cln_", StringComparison.Ordinal) || a.Contains("clek_", StringComparison.Ordinal));
            Assert.Contains("accelerators: \"L4:1\"", launch.TaskYaml);
            Assert.Contains("infra: \"gcp/us-east4\"", launch.TaskYaml);
            Assert.DoesNotContain("cln_", launch.TaskYaml);
            Assert.DoesNotContain("clek_", launch.TaskYaml);
        }
    }

    [Fact]
    public async Task A_launch_without_capacity_falls_back_to_the_next_offer_then_to_on_demand()
    {
        await using var fleet = await FleetHarness.StartSkyAsync(postgres.Postgres, new
        {
            launch_delay_ms = 100,
            boot_command = FakeSky.BootAgentScript,
            rules = new object[] { new { match = "gcp", use_spot = true, error = "no_capacity" } },
        });
        await fleet.CreateDeploymentAsync("fallback", replicas: 1, configure: d => d.Placement = new Placement { Infra = { "gcp" } });
        var node = Assert.Single(await fleet.WaitReadyAsync("fallback", 1));
        Assert.Equal(("gcp", false), (node.Cloud, node.Spot));

        var failed = (await fleet.NodesAsync("fallback")).Where(n => n.State == Node.Types.State.Failed).OrderBy(n => n.CreateTime).ToList();
        // Both GCP spot offers, cheapest first (us-east4 0.34032, then us-central1 0.34057), then on-demand.
        Assert.Equal(["us-east4", "us-central1"], failed.Select(n => n.Region));
        Assert.All(failed, n => Assert.True(n.Spot));
        Assert.All(failed, n => Assert.Contains("no_capacity", n.StateReason));
        var events = await fleet.DeploymentEventsAsync("fallback");
        Assert.Equal(2, events.Count(e => e.Kind == "LAUNCH_FAILED"));
        Assert.Contains(events, e => e.Kind == "LAUNCH" && e.Reason.Contains("fallback to on-demand"));
        Assert.Single(await fleet.Sky!.ClustersAsync());
    }

    [Fact]
    public async Task A_control_plane_killed_during_a_launch_leaves_exactly_one_cluster()
    {
        await using var fleet = await FleetHarness.StartSkyAsync(postgres.Postgres, new { launch_delay_ms = 4000, boot_command = FakeSky.BootAgentScript });
        await fleet.CreateDeploymentAsync("crash", replicas: 1);
        await Eventually.TrueAsync(() => fleet.Sky!.Calls().Any(c => c.Argv.FirstOrDefault() == "launch") || File.Exists(Path.Combine(fleet.Sky.Home, "state.json")),
            TimeSpan.FromSeconds(30), "a launch in flight", pollMs: 50);
        fleet.ControlPlane.Process.Kill();
        await fleet.ControlPlane.StartAsync();

        var node = Assert.Single(await fleet.WaitReadyAsync("crash", 1));
        var clusters = await fleet.Sky!.ClustersAsync();
        Assert.Equal([node.NodeId], clusters.Select(c => c.Name));
        Assert.Single(await fleet.NodesAsync("crash"));
    }

    [Fact]
    public async Task Orphans_are_torn_down_and_ghosts_are_replaced()
    {
        await using var fleet = await FleetHarness.StartSkyAsync(postgres.Postgres);
        await fleet.CreateDeploymentAsync("sync", replicas: 1);
        var first = Assert.Single(await fleet.WaitReadyAsync("sync", 1));
        var sky = fleet.Sky!;
        Assert.Equal(0, (await sky.RunAsync("fake-add", "cic-aws-us-east-1-l4-spot-orphan", "--infra", "aws/us-east-1", "--age-seconds", "3600")).ExitCode);
        Assert.Equal(0, (await sky.RunAsync("fake-add", "someone-elses", "--infra", "aws/us-east-1", "--age-seconds", "3600")).ExitCode);

        // The spot machine is reclaimed and the cloud deletes it.
        Assert.Equal(0, (await sky.RunAsync("fake-preempt", first.NodeId, "--vanish")).ExitCode);
        await Eventually.TrueAsync(async () => (await fleet.ControlPlane.GetNodeAsync(first.NodeId)).State == Node.Types.State.Lost,
            TimeSpan.FromSeconds(30), "the vanished machine marked lost", pollMs: 100);

        var second = Assert.Single(await fleet.WaitReadyAsync("sync", 1));
        Assert.NotEqual(first.NodeId, second.NodeId);
        Assert.Equal(Node.Types.State.Lost, (await fleet.ControlPlane.GetNodeAsync(first.NodeId)).State);
        await Eventually.TrueAsync(async () => !(await sky.ClustersAsync()).Any(c => c.Name == "cic-aws-us-east-1-l4-spot-orphan"),
            TimeSpan.FromSeconds(30), "orphan torn down", pollMs: 200);
        Assert.Equal(new[] { second.NodeId, "someone-elses" }.Order(), (await sky.ClustersAsync()).Select(c => c.Name).Order());
    }

    [Fact]
    public async Task An_older_sky_without_json_status_is_read_from_its_table()
    {
        await using var fleet = await FleetHarness.StartSkyAsync(postgres.Postgres, new { launch_delay_ms = 100, json_output = false, boot_command = FakeSky.BootAgentScript });
        await fleet.CreateDeploymentAsync("table", replicas: 1);
        var first = Assert.Single(await fleet.WaitReadyAsync("table", 1));
        Assert.Equal(0, (await fleet.Sky!.RunAsync("fake-preempt", first.NodeId)).ExitCode);
        await Eventually.TrueAsync(async () => (await fleet.ControlPlane.GetNodeAsync(first.NodeId)).State == Node.Types.State.Lost,
            TimeSpan.FromSeconds(30), "the reclaimed (STOPPED) machine marked lost", pollMs: 100);
        Assert.Contains("stopped (spot reclaimed)", (await fleet.ControlPlane.GetNodeAsync(first.NodeId)).StateReason);
        var second = Assert.Single(await fleet.WaitReadyAsync("table", 1));
        // The stopped machine is torn down (it would still bill its disk), confirmed through the table.
        await Eventually.TrueAsync(async () => (await fleet.Sky.ClustersAsync()).Select(c => c.Name).SequenceEqual([second.NodeId]),
            TimeSpan.FromSeconds(30), "only the replacement left", pollMs: 200);
        Assert.Contains("sky status output format: table", fleet.ControlPlane.Process.Output);
    }

    [Fact]
    public async Task Two_control_planes_elect_one_reconciler_and_the_other_takes_over_when_it_dies()
    {
        await using var fleet = await FleetHarness.StartSkyAsync(postgres.Postgres);
        var second = await fleet.StartControlPlaneAsync();
        var first = fleet.ControlPlane;
        const string Leads = "now leads the reconciler";
        await Eventually.TrueAsync(() => first.Process.OutputContains(Leads) || second.Process.OutputContains(Leads), TimeSpan.FromSeconds(10), "a leader");
        await Task.Delay(1500);
        Assert.True(first.Process.OutputContains(Leads) ^ second.Process.OutputContains(Leads), "exactly one leader");

        await fleet.CreateDeploymentAsync("ha", replicas: 2);
        await fleet.WaitReadyAsync("ha", 2);
        Assert.Equal(2, fleet.Sky!.Calls().Count(c => c.Argv.FirstOrDefault() == "launch"));
        Assert.Equal(2, (await fleet.DeploymentEventsAsync("ha")).Count(e => e.Kind == "LAUNCH"));

        var (leader, follower) = first.Process.OutputContains(Leads) ? (first, second) : (second, first);
        var killed = Stopwatch.StartNew();
        leader.Process.Kill();
        await follower.Process.WaitForOutputAsync(Leads, TimeSpan.FromSeconds(15));
        Console.WriteLine($"reconciler handover: {killed.ElapsedMilliseconds} ms");

        await follower.Fleet.UpdateDeploymentAsync(new UpdateDeploymentRequest
        {
            Deployment = new Deployment { Name = "deployments/ha", Replicas = 3 },
            UpdateMask = new FieldMask { Paths = { "replicas" } },
        });
        await Eventually.TrueAsync(async () => (await follower.Fleet.GetDeploymentAsync(new GetDeploymentRequest { Name = "deployments/ha" })).PendingReplicas + 2 >= 3,
            TimeSpan.FromSeconds(15), "the new leader launches the third replica", pollMs: 200);
        await Eventually.TrueAsync(async () => (await fleet.Sky.ClustersAsync()).Count == 3, TimeSpan.FromSeconds(60), "three clusters", pollMs: 200);
        Assert.Equal(3, (await follower.Fleet.ListDeploymentEventsAsync(new ListDeploymentEventsRequest { Parent = "deployments/ha" })).Events.Count(e => e.Kind == "LAUNCH"));
    }

    [Fact]
    public async Task Offers_list_the_cheapest_per_cloud_and_region()
    {
        await using var fleet = await FleetHarness.StartSkyAsync(postgres.Postgres);
        var offers = (await fleet.Fleet.ListOffersAsync(new ListOffersRequest { GpuType = "h100", GpuCount = 8 })).Offers;
        Assert.NotEmpty(offers);
        Assert.Equal(offers.OrderBy(o => o.PricePerHour).Select(o => o.PricePerHour), offers.Select(o => o.PricePerHour));
        Assert.Equal(offers.Count, offers.Select(o => (o.Cloud, o.Region, o.Spot)).Distinct().Count());
        var aws = offers.Single(o => o is { Cloud: "aws", Region: "us-east-1", Spot: true });
        Assert.Equal((14.582, 1.82275, "p5.48xlarge"), (aws.PricePerHour, aws.PricePerGpuHour, aws.InstanceType));
        Assert.All((await fleet.Fleet.ListOffersAsync(new ListOffersRequest { GpuType = "A100-80GB", Infra = { "azure" } })).Offers, o => Assert.Equal("azure", o.Cloud));
        Assert.Contains("gpu_type 'Z80'", (await FleetHarness.InvalidAsync(() => fleet.Fleet.ListOffersAsync(new ListOffersRequest { GpuType = "Z80" }).ResponseAsync)).Status.Detail);
    }
}
