using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Fleet.Deployments;
using CrossLogic.ControlPlane.Fleet.Offers;
using CrossLogic.ControlPlane.Fleet.Reconcile;
using Offer = CrossLogic.ControlPlane.Fleet.Offers.Offer;
using State = CrossLogic.Contracts.V1.Node.Types.State;

namespace CrossLogic.ControlPlane.Tests.Fleet;

public sealed class DeploymentPlannerTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DeploymentPlanner.Backoff Backoff = new(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(30));

    private static readonly Offer SpotEast = new("aws", "us-east-1", "use1-az1", "p5.4xlarge", "H100", 1, 80, true, 2.0);
    private static readonly Offer SpotWest = new("aws", "eu-west-2", "euw2-az3", "p5.4xlarge", "H100", 1, 80, true, 2.8);
    private static readonly Offer SpotGcp = new("gcp", "us-central1", "us-central1-a", "a3-highgpu-1g", "H100", 1, 80, true, 2.5);
    private static readonly Offer DemandEast = new("aws", "us-east-1", "use1-az1", "p5.4xlarge", "H100", 1, 80, false, 6.88);
    private static readonly Offer DemandGcp = new("gcp", "us-central1", "us-central1-a", "a3-highgpu-1g", "H100", 1, 80, false, 5.4);
    private static readonly Offer[] All = [SpotEast, SpotGcp, SpotWest, DemandGcp, DemandEast];

    private static DeploymentRow Deployment(int replicas, SpotPolicy.Types.Mode mode = SpotPolicy.Types.Mode.SpotFirst, int onDemandBase = 0, bool spread = false, int surge = 1) => new()
    {
        DeploymentId = "d1",
        Model = "m",
        GpuType = "H100",
        GpuCount = 1,
        Replicas = replicas,
        MaxReplicas = 10,
        MaxSurge = surge,
        SpotMode = (short)mode,
        OnDemandBase = onDemandBase,
        PlacementSpread = spread,
        Provisioner = "skypilot",
    };

    private static int _ids;

    private static FleetNode Held(State state, Offer? offer = null, bool retiring = false, int ageMinutes = 5) => new()
    {
        NodeId = "n" + Interlocked.Increment(ref _ids),
        State = (short)state,
        DeploymentId = "d1",
        ClusterName = "c" + _ids,
        Provisioner = "skypilot",
        Cloud = (offer ?? SpotEast).Cloud,
        Region = (offer ?? SpotEast).Region,
        Spot = (offer ?? SpotEast).Spot,
        PricePerHour = (offer ?? SpotEast).PricePerHour,
        GpuType = "H100",
        GpuCount = 1,
        LaunchedAt = Now.AddMinutes(-ageMinutes),
        RetiringAt = retiring ? Now : null,
        CreatedAt = Now.AddMinutes(-ageMinutes),
    };

    private static LaunchFailure Failed(Offer offer, string kind, int minutesAgo = 1) =>
        new("skypilot", offer.Cloud, offer.Region, offer.Spot, "H100", 1, kind, Now.AddMinutes(-minutesAgo));

    private static IReadOnlyList<PlanAction> Plan(DeploymentRow deployment, FleetNode[] nodes, LaunchFailure[]? failures = null, Offer[]? offers = null) =>
        DeploymentPlanner.Plan(deployment, nodes, offers ?? All, failures ?? [], Now, Backoff);

    [Fact]
    public void A_new_deployment_launches_every_replica_on_the_cheapest_spot_offer()
    {
        var launches = Plan(Deployment(2), []).OfType<LaunchReplica>().ToList();
        Assert.Equal(2, launches.Count);
        Assert.All(launches, l => Assert.Equal(SpotEast, l.Offer));
        Assert.Contains("cheapest spot offer", launches[0].Reason);
    }

    [Fact]
    public void A_deployment_at_its_count_does_nothing()
    {
        Assert.Empty(Plan(Deployment(2), [Held(State.Ready), Held(State.Starting)]));
    }

    [Fact]
    public void A_failed_node_still_connected_drains_before_its_teardown_and_a_lost_one_goes_at_once()
    {
        var failed = Held(State.Failed) with { Connected = true };
        var lost = Held(State.Lost);
        var retired = Plan(Deployment(2), [failed, lost]).OfType<RetireNode>().ToDictionary(r => r.NodeId, r => r.Force);
        Assert.False(retired[failed.NodeId]);
        Assert.True(retired[lost.NodeId]);
    }

    [Fact]
    public void An_unreachable_replica_is_waited_for_during_its_grace_and_replaced_once_retired()
    {
        // Within its grace it still counts: a partition that heals must not leave a surplus behind.
        Assert.Empty(Plan(Deployment(2), [Held(State.Ready), Held(State.Unreachable)]));
        // The health decider retires (and fences) it when the grace ends: then exactly one replacement.
        var launch = Assert.Single(Plan(Deployment(2), [Held(State.Ready), Held(State.Unreachable, retiring: true)]).OfType<LaunchReplica>());
        Assert.Contains("replica 2 of 2", launch.Reason);
        // On scale-down the unreachable one goes first.
        var unreachable = Held(State.Unreachable);
        var retire = Assert.Single(Plan(Deployment(1), [Held(State.Ready), unreachable]).OfType<RetireNode>());
        Assert.Equal(unreachable.NodeId, retire.NodeId);
    }

    [Fact]
    public void A_capacity_failure_moves_to_the_next_spot_offer_then_to_on_demand()
    {
        var next = Assert.Single(Plan(Deployment(1), [], [Failed(SpotEast, "no_capacity")]).OfType<LaunchReplica>());
        Assert.Equal(SpotGcp, next.Offer);
        var fallback = Assert.Single(Plan(Deployment(1), [], [Failed(SpotEast, "no_capacity"), Failed(SpotGcp, "no_capacity"), Failed(SpotWest, "no_capacity")]).OfType<LaunchReplica>());
        Assert.Equal(DemandGcp, fallback.Offer);
        Assert.Contains("fallback to on-demand", fallback.Reason);
    }

    [Fact]
    public void A_back_off_ends()
    {
        var launch = Assert.Single(Plan(Deployment(1), [], [Failed(SpotEast, "no_capacity", minutesAgo: 11)]).OfType<LaunchReplica>());
        Assert.Equal(SpotEast, launch.Offer);
    }

    [Fact]
    public void Quota_skips_the_region_and_auth_the_whole_cloud()
    {
        var quota = Assert.Single(Plan(Deployment(1), [], [Failed(DemandEast, "quota")]).OfType<LaunchReplica>());
        Assert.Equal(SpotGcp, quota.Offer);
        var auth = Assert.Single(Plan(Deployment(1), [], [Failed(SpotEast, "auth")]).OfType<LaunchReplica>());
        Assert.Equal("gcp", auth.Offer.Cloud);
    }

    [Fact]
    public void Spot_only_waits_instead_of_paying_on_demand()
    {
        var actions = Plan(Deployment(1, SpotPolicy.Types.Mode.SpotOnly), [], [Failed(SpotEast, "no_capacity"), Failed(SpotGcp, "no_capacity"), Failed(SpotWest, "no_capacity")]);
        var none = Assert.Single(actions);
        Assert.IsType<NoOffer>(none);
        Assert.Contains("spot", none.Reason);
    }

    [Fact]
    public void The_on_demand_base_comes_first()
    {
        var launches = Plan(Deployment(3, onDemandBase: 1), []).OfType<LaunchReplica>().ToList();
        Assert.Equal([false, true, true], launches.Select(l => l.Offer.Spot));
        Assert.Contains("on-demand base", launches[0].Reason);
    }

    [Fact]
    public void Spread_puts_replicas_in_different_regions()
    {
        var launches = Plan(Deployment(3, spread: true), []).OfType<LaunchReplica>().ToList();
        Assert.Equal(3, launches.Select(l => l.Offer.Infra).Distinct().Count());
    }

    [Fact]
    public void Scale_down_retires_the_least_useful_replicas_and_keeps_the_on_demand_base()
    {
        var starting = Held(State.Starting);
        var cheap = Held(State.Ready, SpotEast);
        var dear = Held(State.Ready, SpotWest);
        var demand = Held(State.Ready, DemandEast);
        var retired = Plan(Deployment(1, onDemandBase: 1), [starting, cheap, dear, demand]).OfType<RetireNode>().Select(r => r.NodeId).ToHashSet();
        Assert.Equal(new[] { starting.NodeId, cheap.NodeId, dear.NodeId }.Order(), retired.Order());
        var plain = Plan(Deployment(1), [cheap, dear, demand]).OfType<RetireNode>().Select(r => r.NodeId).ToHashSet();
        Assert.Equal(new[] { dear.NodeId, demand.NodeId }.Order(), plain.Order());
        Assert.All(Plan(Deployment(1), [cheap, dear]).OfType<RetireNode>(), r => Assert.False(r.Force));
    }

    [Fact]
    public void A_lost_or_failed_node_is_torn_down_and_replaced_within_the_surge()
    {
        var lost = Held(State.Lost);
        var actions = Plan(Deployment(2), [Held(State.Ready), lost]);
        Assert.Contains(actions, a => a is RetireNode { Force: true } r && r.NodeId == lost.NodeId);
        Assert.Single(actions.OfType<LaunchReplica>());
    }

    [Fact]
    public void The_surge_bounds_machines_held_while_old_ones_are_torn_down()
    {
        // Two retiring machines still held: replicas 2 + surge 1 = 3 machines at most, two are held by the old ones.
        var nodes = new[] { Held(State.Ready, retiring: true), Held(State.Ready, retiring: true) };
        Assert.Single(Plan(Deployment(2), nodes).OfType<LaunchReplica>());
        Assert.Equal(2, Plan(Deployment(2, surge: 2), nodes).OfType<LaunchReplica>().Count());
    }

    [Fact]
    public void A_draining_node_is_replaced_at_once_and_torn_down_after_its_requests_finish()
    {
        var draining = Held(State.Draining);
        var actions = Plan(Deployment(1), [draining]);
        Assert.Single(actions.OfType<LaunchReplica>());
        var retire = Assert.Single(actions.OfType<RetireNode>());
        Assert.Equal((draining.NodeId, false), (retire.NodeId, retire.Force));
    }

    [Fact]
    public void A_launch_whose_agent_never_attached_is_replaced()
    {
        var stuck = Held(State.Provisioning, ageMinutes: 45);
        var actions = Plan(Deployment(1), [stuck]);
        Assert.Contains(actions, a => a is RetireNode r && r.NodeId == stuck.NodeId && r.Reason.Contains("never attached"));
    }

    [Fact]
    public void A_deleting_deployment_drains_everything_then_finishes()
    {
        var deleting = Deployment(2) with { State = DeploymentRow.Deleting };
        var nodes = new[] { Held(State.Ready), Held(State.Starting) };
        var actions = Plan(deleting, nodes);
        Assert.Equal(2, actions.OfType<RetireNode>().Count(r => !r.Force));
        Assert.DoesNotContain(actions, a => a is LaunchReplica or FinishDelete);
        Assert.IsType<FinishDelete>(Assert.Single(Plan(deleting, [])));
    }

    [Fact]
    public void No_offer_at_all_is_reported()
    {
        var none = Assert.IsType<NoOffer>(Assert.Single(Plan(Deployment(1), [], offers: [])));
        Assert.Contains("no offer matches", none.Reason);
    }
}
