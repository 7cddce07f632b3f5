using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Link;

/// <summary>
/// What the control plane knows about one attached node between database flushes. Updated on every heartbeat;
/// readers (admin API, routing) take a consistent <see cref="Snapshot"/>.
/// </summary>
internal sealed class NodeLiveState(string nodeId, long leaseEpoch, DateTime attachedAt, Node.Types.State state = Node.Types.State.Starting)
{
    private readonly Lock _lock = new();
    private DateTime _lastSeen = attachedAt;
    private ulong _sequence;
    private EngineStatus? _engine;
    private IReadOnlyList<GpuSample> _gpus = [];
    private Node.Types.State _state = state;
    private bool _connected = true;
    private bool _dirty;

    public string NodeId { get; } = nodeId;

    public long LeaseEpoch { get; } = leaseEpoch;

    /// <summary>Where commands to this node's agent go while its stream is open.</summary>
    public ControlChannel? Channel { get; init; }

    /// <summary>The engine address the provisioner recorded; routing sends inference there. Set at attach, and again
    /// when the provisioner reports the address after the agent already attached.</summary>
    public string EngineEndpoint { get; set; } = "";

    /// <summary>The served model name routing sends to this node.</summary>
    public string Model { get; init; } = "";

    /// <summary>An operator asked the node to drain: out of routing until its engine is restarted.</summary>
    public bool DrainRequested { get; set; }

    /// <summary>The routing view of the current state.</summary>
    public Gateway.Routing.RouteUpdate Route()
    {
        lock (_lock)
        {
            return new Gateway.Routing.RouteUpdate(NodeId, LeaseEpoch, Model, EngineEndpoint, _connected, DrainRequested, _state, _engine);
        }
    }

    /// <summary>Accepts a heartbeat; false when its sequence does not advance (a replay or a confused agent).</summary>
    public bool Beat(ulong sequence, DateTime now, EngineStatus? engine, IReadOnlyList<GpuSample>? gpus = null)
    {
        lock (_lock)
        {
            if (sequence <= _sequence)
            {
                return false;
            }

            _sequence = sequence;
            _lastSeen = now;
            // Keep the previous objects when nothing changed: a long-lived state that points at every new message
            // promotes each heartbeat into older GC generations, and with thousands of nodes that shows as pauses.
            if (!Equals(engine, _engine))
            {
                _engine = engine;
            }

            if (gpus is not { Count: > 0 })
            {
                _gpus = [];
            }
            else if (!gpus.SequenceEqual(_gpus))
            {
                _gpus = gpus.ToArray();
            }

            _dirty = true;
            return true;
        }
    }

    public Node.Types.State State { get { lock (_lock) { return _state; } } }

    /// <summary>Takes a new state; returns the old one, or null when nothing changed.</summary>
    public Node.Types.State? Transition(Node.Types.State state)
    {
        lock (_lock)
        {
            if (_state == state)
            {
                return null;
            }

            var old = _state;
            _state = state;
            return old;
        }
    }

    public void Disconnected(DateTime now)
    {
        lock (_lock)
        {
            _connected = false;
            _lastSeen = now > _lastSeen ? now : _lastSeen;
        }
    }

    /// <summary>The latest beat if it was not yet written, clearing the flag.</summary>
    public Store.HeartbeatRow? TakeDirty()
    {
        lock (_lock)
        {
            if (!_dirty)
            {
                return null;
            }

            _dirty = false;
            return new Store.HeartbeatRow(NodeId, LeaseEpoch, _lastSeen, (long)_sequence);
        }
    }

    /// <summary>A flush failed: the row must be written next time.</summary>
    public void MarkDirty()
    {
        lock (_lock)
        {
            _dirty = true;
        }
    }

    public NodeLiveSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new NodeLiveSnapshot(NodeId, LeaseEpoch, _connected, _lastSeen, _sequence, _engine, _gpus, _state);
        }
    }
}

/// <summary>An immutable copy of <see cref="NodeLiveState"/>.</summary>
internal sealed record NodeLiveSnapshot(string NodeId, long LeaseEpoch, bool Connected, DateTime LastSeen, ulong Sequence, EngineStatus? Engine, IReadOnlyList<GpuSample> Gpus, Node.Types.State State);
