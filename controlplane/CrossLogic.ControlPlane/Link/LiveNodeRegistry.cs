using System.Collections.Concurrent;

namespace CrossLogic.ControlPlane.Link;

/// <summary>The in-memory table of nodes with a live (or just closed) link on this control-plane replica.</summary>
internal sealed class LiveNodeRegistry
{
    private readonly ConcurrentDictionary<string, NodeLiveState> _nodes = new(StringComparer.Ordinal);

    public int Count => _nodes.Count;

    /// <summary>Installs the state of a newly attached session, replacing an older one of the same node.</summary>
    public void Attached(NodeLiveState state) =>
        _nodes.AddOrUpdate(state.NodeId, state, (_, existing) => existing.LeaseEpoch > state.LeaseEpoch ? existing : state);

    /// <summary>True if <paramref name="state"/> is still the node's current session.</summary>
    public bool IsCurrent(NodeLiveState state) => _nodes.TryGetValue(state.NodeId, out var current) && ReferenceEquals(current, state);

    /// <summary>The command channel of a node connected to this replica, or null.</summary>
    public ControlChannel? ChannelOf(string nodeId) =>
        _nodes.TryGetValue(nodeId, out var state) && state.Snapshot().Connected ? state.Channel : null;

    /// <summary>The node's current session on this replica, or null.</summary>
    public NodeLiveState? SessionOf(string nodeId) => _nodes.TryGetValue(nodeId, out var state) ? state : null;

    public NodeLiveSnapshot? Find(string nodeId) => _nodes.TryGetValue(nodeId, out var state) ? state.Snapshot() : null;

    public IEnumerable<NodeLiveState> All => _nodes.Values;

    /// <summary>Drops a node's entry if it is still <paramref name="state"/> (a newer session stays).</summary>
    public void Forget(NodeLiveState state) => _nodes.TryRemove(new KeyValuePair<string, NodeLiveState>(state.NodeId, state));
}
