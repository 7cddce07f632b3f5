using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Agent.Link;

/// <summary>
/// Events waiting for the control plane's acknowledgement. Bounded: when full, a new event is dropped and counted,
/// and the count is itself reported as an <see cref="NodeEvent.Types.Kind.EventsDropped"/> event when the link can carry it.
/// </summary>
internal sealed class OutboundEventQueue(int capacity, TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<NodeEvent> _pending = new();
    private readonly SemaphoreSlim _signal = new(0);
    private ulong _nextSequence = 1;
    private ulong _lastSent;
    private long _droppedSinceReport;
    private long _droppedTotal;

    public int Count { get { lock (_lock) { return _pending.Count; } } }

    public long DroppedTotal { get { lock (_lock) { return _droppedTotal; } } }

    /// <summary>The highest sequence held, 0 when empty.</summary>
    public ulong HighestPending { get { lock (_lock) { return _pending.Last?.Value.Sequence ?? 0; } } }

    /// <summary>Adds an event; false when the queue is full and the event was dropped (and counted).</summary>
    public bool TryEnqueue(NodeEvent.Types.Kind kind, string message, IReadOnlyDictionary<string, string>? detail = null)
    {
        lock (_lock)
        {
            if (_pending.Count >= capacity)
            {
                _droppedSinceReport++;
                _droppedTotal++;
                return false;
            }

            _pending.AddLast(Create(kind, message, detail));
        }

        _signal.Release();
        return true;
    }

    /// <summary>Waits until something may be ready to send.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _signal.WaitAsync(cancellationToken);

    /// <summary>Events not yet sent on the current stream, oldest first, preceded by an overflow report when one is due.</summary>
    public IReadOnlyList<NodeEvent> TakeUnsent()
    {
        lock (_lock)
        {
            if (_droppedSinceReport > 0)
            {
                // The report may exceed the capacity by one: losing the news of a loss would defeat its purpose.
                var detail = new Dictionary<string, string> { ["dropped"] = _droppedSinceReport.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                _pending.AddLast(Create(NodeEvent.Types.Kind.EventsDropped, $"event queue full (capacity {capacity}); {_droppedSinceReport} events dropped", detail));
                _droppedSinceReport = 0;
            }

            var unsent = _pending.Where(e => e.Sequence > _lastSent).ToList();
            if (unsent.Count > 0)
            {
                _lastSent = unsent[^1].Sequence;
            }

            return unsent;
        }
    }

    /// <summary>Forgets every event up to and including <paramref name="sequence"/>.</summary>
    public void Acknowledge(ulong sequence)
    {
        lock (_lock)
        {
            while (_pending.First is { } first && first.Value.Sequence <= sequence)
            {
                _pending.RemoveFirst();
            }
        }
    }

    /// <summary>A new stream starts: everything unacknowledged is sent again (the control plane de-duplicates).</summary>
    public void ResendAll()
    {
        lock (_lock)
        {
            _lastSent = 0;
        }

        _signal.Release();
    }

    private NodeEvent Create(NodeEvent.Types.Kind kind, string message, IReadOnlyDictionary<string, string>? detail)
    {
        var nodeEvent = new NodeEvent
        {
            Sequence = _nextSequence++,
            Kind = kind,
            Time = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
            Message = message,
        };
        if (detail is not null)
        {
            foreach (var (key, value) in detail)
            {
                nodeEvent.Detail[key] = value;
            }
        }

        return nodeEvent;
    }
}
