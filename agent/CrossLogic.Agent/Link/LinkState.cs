using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Agent.Link;

/// <summary>The agent's view of its link, shared with the probe API.</summary>
internal sealed class LinkState
{
    private readonly Lock _lock = new();
    private LinkStatus.Types.State _state = LinkStatus.Types.State.Connecting;
    private long _leaseEpoch;
    private DateTimeOffset? _lastAck;
    private int _reconnects;
    private volatile bool _fenced;

    /// <summary>The control plane told this agent to shut down: its node was declared dead and replaced. The process
    /// exits with <see cref="Hosting.AgentCommandLine.FencedExitCode"/>, which systemd does not restart.</summary>
    public bool Fenced => _fenced;

    public void MarkFenced() => _fenced = true;

    /// <summary>True while a stream to the control plane is welcomed and open.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_lock)
            {
                return _state == LinkStatus.Types.State.Connected;
            }
        }
    }

    public void Connected(long leaseEpoch)
    {
        lock (_lock)
        {
            _state = LinkStatus.Types.State.Connected;
            _leaseEpoch = leaseEpoch;
        }
    }

    public void Disconnected(bool stopping)
    {
        lock (_lock)
        {
            if (_state == LinkStatus.Types.State.Connected && !stopping)
            {
                _reconnects++;
            }

            _state = stopping ? LinkStatus.Types.State.Closed : LinkStatus.Types.State.Connecting;
        }
    }

    public void Acknowledged(DateTimeOffset time)
    {
        lock (_lock)
        {
            _lastAck = time;
        }
    }

    public LinkStatus Snapshot(OutboundEventQueue queue)
    {
        lock (_lock)
        {
            return new LinkStatus
            {
                State = _state,
                LeaseEpoch = _leaseEpoch,
                LastAckTime = _lastAck is { } ack ? Timestamp.FromDateTimeOffset(ack) : null,
                PendingEvents = queue.Count,
                DroppedEvents = queue.DroppedTotal,
                Reconnects = _reconnects,
            };
        }
    }
}
