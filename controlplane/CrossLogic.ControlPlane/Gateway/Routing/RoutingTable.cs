using System.Collections.Frozen;
using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// The replicas the gateway may send each model's requests to. Its own entries change the moment the link sees a
/// change (attach, heartbeat, stream end, drain), never on a timer. Peer entries are the routes other control-plane
/// replicas publish for the streams they hold; a node's newest lease epoch wins, wherever it is held. Readers take a
/// lock-free snapshot per request.
/// </summary>
internal sealed class RoutingTable(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Replica> _byNode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Replica> _peers = new(StringComparer.Ordinal);

    // The newest epoch any peer published per node, kept after its route goes: a session of this replica's older than
    // that one is stale (the agent attached elsewhere since) and must not come back when the peer's route goes out.
    private readonly Dictionary<string, long> _peerEpochs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _modelFirstSeen = new(StringComparer.Ordinal);
    private FrozenDictionary<string, Replica[]> _byModel = FrozenDictionary<string, Replica[]>.Empty;

    /// <summary>Raised after one of this replica's own entries came, went or was replaced (peers' never raise it).</summary>
    public event Action<RouteChange>? Changed;

    public Replica[] ReplicasOf(string model) => Volatile.Read(ref _byModel).TryGetValue(model, out var replicas) ? replicas : [];

    /// <summary>Models with at least one routable replica, with the Unix time each was first routable here.</summary>
    public IReadOnlyList<(string Model, long Created)> Models()
    {
        var byModel = Volatile.Read(ref _byModel);
        lock (_lock)
        {
            return byModel.Keys.Order(StringComparer.Ordinal).Select(m => (m, _modelFirstSeen.GetValueOrDefault(m))).ToList();
        }
    }

    /// <summary>This replica's own routable entries (the streams it holds), to publish.</summary>
    public IReadOnlyList<PublishedRoute> OwnRoutes()
    {
        lock (_lock)
        {
            return [.. _byNode.Values.Select(PublishedRoute.Of)];
        }
    }

    /// <summary>This replica's own route of <paramref name="nodeId"/> as it stands now: routable, or out at <paramref name="leaseEpoch"/>.</summary>
    public PublishedRoute OwnRoute(string nodeId, long leaseEpoch)
    {
        lock (_lock)
        {
            return _byNode.TryGetValue(nodeId, out var replica) ? PublishedRoute.Of(replica) : PublishedRoute.Out(nodeId, leaseEpoch);
        }
    }

    public void Update(in RouteUpdate update)
    {
        RouteChange? change = null;
        lock (_lock)
        {
            _byNode.TryGetValue(update.NodeId, out var existing);
            if (existing is not null && existing.LeaseEpoch > update.LeaseEpoch)
            {
                return; // A newer session of the node owns its entry.
            }

            if (!update.Routable)
            {
                if (existing is not null)
                {
                    existing.MarkOut();
                    _byNode.Remove(update.NodeId);
                    Rebuild();
                    change = new RouteChange(update.NodeId, update.LeaseEpoch, Routed: false, Toggled: true);
                }
            }
            else
            {
                var destination = Destination(update.EngineEndpoint);
                var replica = existing;
                if (replica is null || replica.LeaseEpoch != update.LeaseEpoch || replica.Destination != destination || replica.Model != update.Model)
                {
                    existing?.MarkOut();
                    replica = new Replica(update.NodeId, update.LeaseEpoch, update.Model, destination);
                    _byNode[update.NodeId] = replica;
                    _modelFirstSeen.TryAdd(update.Model, time.GetUtcNow().ToUnixTimeSeconds());
                    Rebuild();
                    change = new RouteChange(update.NodeId, update.LeaseEpoch, Routed: true, Toggled: existing is null);
                }

                replica.ReportedWaiting = update.Engine?.WaitingRequests ?? 0;
                replica.ReportedKvCacheUsage = update.Engine?.KvCacheUsage ?? 0;
                replica.Degraded = update.State == Node.Types.State.Degraded;
            }
        }

        if (change is { } raised)
        {
            Changed?.Invoke(raised);
        }
    }

    /// <summary>Takes a node's session out (its stream ended); a newer session's entry stays.</summary>
    public void Remove(string nodeId, long leaseEpoch)
    {
        lock (_lock)
        {
            if (!_byNode.TryGetValue(nodeId, out var existing) || existing.LeaseEpoch > leaseEpoch)
            {
                return;
            }

            existing.MarkOut();
            _byNode.Remove(nodeId);
            Rebuild();
        }

        Changed?.Invoke(new RouteChange(nodeId, leaseEpoch, Routed: false, Toggled: true));
    }

    /// <summary>
    /// A route another replica published, as read: live, it enters (or refreshes) the peer entry; gone out or expired,
    /// the peer entry goes. A row older than what this table already has from peers changes nothing.
    /// </summary>
    public void ApplyPeer(PublishedRoute route)
    {
        lock (_lock)
        {
            if (ApplyPeerLocked(route))
            {
                Rebuild();
            }
        }
    }

    /// <summary>Every live route other replicas publish, as one read: peer entries not among them go.</summary>
    public void ReplacePeers(IReadOnlyList<PublishedRoute> live)
    {
        lock (_lock)
        {
            var changed = false;
            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var route in live)
            {
                present.Add(route.NodeId);
                changed |= ApplyPeerLocked(route);
            }

            foreach (var nodeId in _peers.Keys.Where(n => !present.Contains(n)).ToList())
            {
                _peers.Remove(nodeId, out var gone);
                gone!.MarkOut();
                changed = true;
            }

            if (changed)
            {
                Rebuild();
            }
        }
    }

    /// <summary>Peer routes in the table now.</summary>
    public int PeerCount
    {
        get
        {
            lock (_lock)
            {
                return _peers.Count;
            }
        }
    }

    /// <returns>True when the set of replicas changed (a rebuild is due); a refreshed load alone is not.</returns>
    private bool ApplyPeerLocked(PublishedRoute route)
    {
        var known = _peerEpochs.TryGetValue(route.NodeId, out var newest);
        if (known && newest > route.LeaseEpoch)
        {
            return false;
        }

        // A newer epoch than this replica's own session of the node takes that session out, routable or not.
        var ownSuperseded = (!known || newest < route.LeaseEpoch) && _byNode.TryGetValue(route.NodeId, out var own) && own.LeaseEpoch < route.LeaseEpoch;
        _peerEpochs[route.NodeId] = route.LeaseEpoch;
        _peers.TryGetValue(route.NodeId, out var existing);
        if (!route.Live)
        {
            if (existing is null)
            {
                return ownSuperseded;
            }

            existing.MarkOut();
            _peers.Remove(route.NodeId);
            return true;
        }

        var destination = Destination(route.EngineEndpoint);
        var replica = existing;
        var replaced = replica is null || replica.LeaseEpoch != route.LeaseEpoch || replica.Destination != destination || replica.Model != route.Model;
        if (replaced)
        {
            replica?.MarkOut();
            replica = new Replica(route.NodeId, route.LeaseEpoch, route.Model, destination, peer: true);
            _modelFirstSeen.TryAdd(route.Model, time.GetUtcNow().ToUnixTimeSeconds());
        }

        replica!.ReportedWaiting = route.Waiting;
        replica.ReportedKvCacheUsage = route.KvCacheUsage;
        replica.Degraded = route.Degraded;
        _peers[route.NodeId] = replica;
        return replaced || ownSuperseded;
    }

    /// <summary>Per node, the newest session: this replica's own, unless a peer published a newer epoch.</summary>
    private void Rebuild()
    {
        var routed = new List<Replica>(_byNode.Count + _peers.Count);
        foreach (var own in _byNode.Values)
        {
            if (!_peerEpochs.TryGetValue(own.NodeId, out var peerEpoch) || own.LeaseEpoch >= peerEpoch)
            {
                routed.Add(own);
            }
        }

        foreach (var (nodeId, peer) in _peers)
        {
            if (!_byNode.TryGetValue(nodeId, out var own) || peer.LeaseEpoch > own.LeaseEpoch)
            {
                routed.Add(peer);
            }
        }

        Volatile.Write(ref _byModel, routed
            .GroupBy(r => r.Model, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.OrderBy(r => r.NodeId, StringComparer.Ordinal).ToArray(), StringComparer.Ordinal));
    }

    /// <summary>`http://10.0.0.5:8000` → `http://10.0.0.5:8000/` (the forwarder appends the request path).</summary>
    private static string Destination(string endpoint) => endpoint.EndsWith('/') ? endpoint : endpoint + "/";
}
