using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Link;

/// <summary>
/// What the control plane knows about one attached node between database flushes. Updated on every heartbeat;
/// readers (admin API, routing) take a consistent <see cref="Snapshot"/>.
/// </summary>
internal sealed class NodeLiveState(string nodeId, long leaseEpoch, DateTime attachedAt, Node.Types.State state = Node.Types.State.Starting, Health.PhiAccrualDetector? detector = null)
{
    private readonly Lock _lock = new();
    private readonly Health.PhiAccrualDetector _detector = detector ?? new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250), attachedAt);
    private readonly CancellationTokenSource _abort = new();
    private bool _silent;
    private bool _probeVouches;
    private EngineStatus? _probeEngine;
    private DateTime _probedAt = DateTime.MinValue;
    private int _probeFailures;
    private bool _probing;
    private bool _probeStartedWhileDown;
    private DateTime _disconnectedAt = DateTime.MaxValue;
    private bool _fenced;
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

    /// <summary>Where this node's agent is probed: the provisioner's address for it, never one the agent reported.</summary>
    public string ProbeEndpoint { get; set; } = "";

    /// <summary>Cancelled to end the node's stream from this side (a silent stream; a fenced node).</summary>
    public CancellationToken Aborted => _abort.Token;

    /// <summary>The served model name routing sends to this node.</summary>
    public string Model { get; init; } = "";

    /// <summary>An operator asked the node to drain: out of routing until its engine is restarted.</summary>
    public bool DrainRequested { get; set; }

    /// <summary>The routing view of the current state.</summary>
    public Gateway.Routing.RouteUpdate Route()
    {
        lock (_lock)
        {
            // The stream vouches while it beats; when it is silent or closed, a recent successful probe may (the agent's
            // link is broken but the node serves). A fenced node never routes.
            var streamUp = _connected && !_silent;
            return new Gateway.Routing.RouteUpdate(
                NodeId, LeaseEpoch, Model, EngineEndpoint, !_fenced && (streamUp || _probeVouches), DrainRequested, _state, streamUp ? _engine : _probeEngine);
        }
    }

    /// <summary>Accepts a heartbeat; false when its sequence does not advance (a replay or a confused agent).</summary>
    public bool Beat(ulong sequence, DateTime now, EngineStatus? engine, IReadOnlyList<GpuSample>? gpus = null, bool regular = true)
    {
        lock (_lock)
        {
            if (sequence <= _sequence)
            {
                return false;
            }

            _sequence = sequence;
            _lastSeen = now;
            _detector.Arrived(now, regular);
            _silent = false;
            _probeVouches = false;
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

    /// <summary>The detector's suspicion of the stream now (0 when the stream is closed: its end is its own signal).</summary>
    public double Phi(DateTime now) => Suspicion(now).Phi;

    /// <summary>The detector's suspicion and the silence since the last beat (zero when the stream is closed).</summary>
    public (double Phi, TimeSpan Silent) Suspicion(DateTime now)
    {
        lock (_lock)
        {
            return _connected && !_fenced ? (_detector.Phi(now), now - _detector.LastArrival) : (0, TimeSpan.Zero);
        }
    }

    /// <summary>The stream beats no more (phi over the threshold): true when this is news.</summary>
    public bool MarkSilent()
    {
        lock (_lock)
        {
            if (_silent || !_connected)
            {
                return false;
            }

            _silent = true;
            return true;
        }
    }

    /// <summary>Closed longer than <paramref name="after"/> with no probe vouching: this replica stops watching it
    /// (the leader's resolver watches nodes no replica holds).</summary>
    public bool Forgotten(DateTime now, TimeSpan after)
    {
        lock (_lock)
        {
            return !_connected && !_probeVouches && !_probing && now - _disconnectedAt > after;
        }
    }

    /// <summary>The stream is closed, or silent: the stream no longer tells whether the node lives.</summary>
    public bool StreamDown { get { lock (_lock) { return !_connected || _silent; } } }

    public bool Fenced { get { lock (_lock) { return _fenced; } } }

    /// <summary>Never routed again; its stream (if any) is ended.</summary>
    public void Fence()
    {
        lock (_lock)
        {
            _fenced = true;
            _probeVouches = false;
        }

        AbortStream();
    }

    /// <summary>Ends the stream from the control plane's side; the agent dials again.</summary>
    public void AbortStream()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Claims the next probe if one is due (none in flight); false otherwise.</summary>
    public bool TryStartProbe(DateTime now, TimeSpan regular, TimeSpan suspect)
    {
        lock (_lock)
        {
            if (_probing || _fenced)
            {
                return false;
            }

            // Often while the stream says nothing and no verdict is in; at the regular pace once it is unreachable.
            var down = !_connected || _silent;
            var every = down && _state != Node.Types.State.Unreachable ? suspect : regular;
            if (now - _probedAt < every)
            {
                return false;
            }

            _probing = true;
            _probeStartedWhileDown = down;
            _probedAt = now;
            return true;
        }
    }

    /// <summary>Takes a probe's outcome; returns the failures in a row (0 after a success).</summary>
    public int Probed(DateTime now, bool ok, EngineStatus? engine)
    {
        lock (_lock)
        {
            _probing = false;
            _probedAt = now;
            if (!ok)
            {
                _probeVouches = false;
                return ++_probeFailures;
            }

            _probeFailures = 0;
            _probeEngine = engine;
            // Only needed, and only trusted, while the stream says nothing: an answer sent before the stream ended (a
            // scheduled probe racing a crash) proves nothing about the node after it.
            _probeVouches = _probeStartedWhileDown && (!_connected || _silent) && !_fenced;
            return 0;
        }
    }

    public void Disconnected(DateTime now)
    {
        lock (_lock)
        {
            _connected = false;
            _disconnectedAt = now;
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
