using System.Collections.Frozen;
using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// The replicas the gateway may send each model's requests to. Changed the moment the link sees a change (attach,
/// heartbeat, stream end, drain), never on a timer; readers take a lock-free snapshot per request.
/// </summary>
internal sealed class RoutingTable(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Replica> _byNode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _modelFirstSeen = new(StringComparer.Ordinal);
    private FrozenDictionary<string, Replica[]> _byModel = FrozenDictionary<string, Replica[]>.Empty;

    /// <summary>Raised after a node enters or leaves the table (node id, routed now).</summary>
    public event Action<string, bool>? Changed;

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

    public bool IsRouted(string nodeId)
    {
        lock (_lock)
        {
            return _byNode.ContainsKey(nodeId);
        }
    }

    public void Update(in RouteUpdate update)
    {
        bool? routedNow = null;
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
                    routedNow = false;
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
                    routedNow = existing is null ? true : null;
                }

                replica.ReportedWaiting = update.Engine?.WaitingRequests ?? 0;
                replica.ReportedKvCacheUsage = update.Engine?.KvCacheUsage ?? 0;
                replica.Degraded = update.State == Node.Types.State.Degraded;
            }
        }

        if (routedNow is { } routed)
        {
            Changed?.Invoke(update.NodeId, routed);
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

        Changed?.Invoke(nodeId, false);
    }

    private void Rebuild() => Volatile.Write(ref _byModel, _byNode.Values
        .GroupBy(r => r.Model, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.OrderBy(r => r.NodeId, StringComparer.Ordinal).ToArray(), StringComparer.Ordinal));

    /// <summary>`http://10.0.0.5:8000` → `http://10.0.0.5:8000/` (the forwarder appends the request path).</summary>
    private static string Destination(string endpoint) => endpoint.EndsWith('/') ? endpoint : endpoint + "/";
}
