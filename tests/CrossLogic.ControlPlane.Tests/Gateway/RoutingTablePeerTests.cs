using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.Contracts.V1;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.ControlPlane.Tests.Gateway;

/// <summary>
/// The routing table with routes other control-plane replicas publish: a node's newest lease epoch wins wherever it is
/// held, a withdrawn, expired or unlisted peer route goes, and only this replica's own entries raise changes.
/// </summary>
public sealed class RoutingTablePeerTests
{
    private const string Model = "m";
    private readonly FakeTimeProvider _time = new();
    private readonly RoutingTable _table;
    private readonly List<RouteChange> _changes = [];

    public RoutingTablePeerTests()
    {
        _table = new RoutingTable(_time);
        _table.Changed += _changes.Add;
    }

    [Fact]
    public void A_peer_route_is_routed_with_its_reported_load_and_raises_no_change()
    {
        _table.ApplyPeer(Peer("n1", epoch: 3, waiting: 7, kv: 0.5, degraded: true));

        var replica = Assert.Single(_table.ReplicasOf(Model));
        Assert.Equal(("n1", 3L, true, "http://10.0.0.1:8000/"), (replica.NodeId, replica.LeaseEpoch, replica.Peer, replica.Destination));
        Assert.Equal((7, 0.5, true), (replica.ReportedWaiting, replica.ReportedKvCacheUsage, replica.Degraded));
        Assert.Equal([Model], _table.Models().Select(m => m.Model));
        Assert.Empty(_changes);
        Assert.Empty(_table.OwnRoutes());
    }

    [Fact]
    public void A_refresh_keeps_the_same_replica_so_its_outstanding_requests_still_count()
    {
        _table.ApplyPeer(Peer("n1", epoch: 3));
        var replica = _table.ReplicasOf(Model)[0];
        replica.Started();

        _table.ReplacePeers([Peer("n1", epoch: 3, waiting: 2)]);

        Assert.Same(replica, _table.ReplicasOf(Model)[0]);
        Assert.Equal(3, replica.Load);
        Assert.False(replica.IsOut);
    }

    [Fact]
    public void A_peer_route_that_goes_out_is_never_picked_again_even_from_an_older_snapshot()
    {
        _table.ApplyPeer(Peer("n1", epoch: 3));
        var snapshot = _table.ReplicasOf(Model);

        _table.ApplyPeer(Peer("n1", epoch: 3, routable: false));

        Assert.Empty(_table.ReplicasOf(Model));
        Assert.True(snapshot[0].IsOut);
    }

    [Fact]
    public void A_full_read_drops_peer_routes_it_no_longer_lists()
    {
        _table.ApplyPeer(Peer("n1", epoch: 1));
        _table.ApplyPeer(Peer("n2", epoch: 1));

        _table.ReplacePeers([Peer("n2", epoch: 1)]);

        Assert.Equal(["n2"], _table.ReplicasOf(Model).Select(r => r.NodeId));
        Assert.Equal(1, _table.PeerCount);
    }

    [Fact]
    public void An_expired_row_as_read_is_not_routed()
    {
        _table.ApplyPeer(Peer("n1", epoch: 1, expiresInMs: -5));

        Assert.Empty(_table.ReplicasOf(Model));
    }

    [Fact]
    public void A_newer_session_here_wins_over_an_older_peer_route_and_an_older_one_here_loses()
    {
        _table.ApplyPeer(Peer("n1", epoch: 4));
        _table.Update(Own("n1", epoch: 5));
        Assert.False(Assert.Single(_table.ReplicasOf(Model)).Peer);

        _table.ApplyPeer(Peer("n1", epoch: 6));
        var routed = Assert.Single(_table.ReplicasOf(Model));
        Assert.Equal((true, 6L), (routed.Peer, routed.LeaseEpoch));
    }

    [Fact]
    public void A_stale_session_here_does_not_come_back_when_the_newer_peer_route_goes_out()
    {
        // Held here at epoch 5; the agent attached to another replica (epoch 6), which then took it out of routing
        // (unreachable, drained) before this replica noticed its own stream was gone.
        _table.Update(Own("n1", epoch: 5));
        _table.ApplyPeer(Peer("n1", epoch: 6));
        _table.ApplyPeer(Peer("n1", epoch: 6, routable: false));

        Assert.Empty(_table.ReplicasOf(Model));
    }

    [Fact]
    public void A_newer_epoch_out_of_routing_elsewhere_takes_the_stale_session_here_out_at_once()
    {
        _table.Update(Own("n1", epoch: 5));

        _table.ApplyPeer(Peer("n1", epoch: 6, routable: false));

        Assert.Empty(_table.ReplicasOf(Model));
    }

    [Fact]
    public void An_older_peer_row_read_late_changes_nothing()
    {
        _table.ApplyPeer(Peer("n1", epoch: 6));

        _table.ApplyPeer(Peer("n1", epoch: 5, routable: false));

        Assert.Equal(6, Assert.Single(_table.ReplicasOf(Model)).LeaseEpoch);
    }

    [Fact]
    public void Own_changes_say_whether_routing_toggled_and_own_routes_are_published_with_their_load()
    {
        _table.Update(Own("n1", epoch: 1));
        _table.Update(Own("n1", epoch: 1, waiting: 3));
        _table.Update(Own("n1", epoch: 2));
        _table.Remove("n1", 2);

        Assert.Equal(
            [new RouteChange("n1", 1, true, true), new RouteChange("n1", 2, true, false), new RouteChange("n1", 2, false, true)],
            _changes);
        Assert.False(_table.OwnRoute("n1", 2).Routable);

        _table.Update(Own("n2", epoch: 4, waiting: 9));
        var published = Assert.Single(_table.OwnRoutes());
        Assert.Equal(("n2", 4L, true, "http://10.0.0.1:8000/", 9), (published.NodeId, published.LeaseEpoch, published.Routable, published.EngineEndpoint, published.Waiting));
    }

    private static PublishedRoute Peer(string nodeId, long epoch, bool routable = true, int waiting = 0, double kv = 0, bool degraded = false, double expiresInMs = 10_000) => new()
    {
        NodeId = nodeId,
        LeaseEpoch = epoch,
        Routable = routable,
        Model = Model,
        EngineEndpoint = "http://10.0.0.1:8000",
        Waiting = waiting,
        KvCacheUsage = kv,
        Degraded = degraded,
        ExpiresInMs = expiresInMs,
    };

    private static RouteUpdate Own(string nodeId, long epoch, int waiting = 0) => new(
        nodeId, epoch, Model, "http://10.0.0.1:8000", Connected: true, DrainRequested: false, Node.Types.State.Ready,
        new EngineStatus { State = EngineStatus.Types.State.Ready, WaitingRequests = waiting });
}
