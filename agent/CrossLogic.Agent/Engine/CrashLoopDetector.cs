namespace CrossLogic.Agent.Engine;

/// <summary>Counts engine exits in a sliding window; too many is a crash loop.</summary>
internal sealed class CrashLoopDetector(int maxExits, TimeSpan window)
{
    private readonly Queue<DateTimeOffset> _exits = new();

    /// <summary>Records an exit; true when it makes a crash loop.</summary>
    public bool RecordExit(DateTimeOffset now)
    {
        _exits.Enqueue(now);
        while (_exits.Count > 0 && now - _exits.Peek() > window)
        {
            _exits.Dequeue();
        }

        return _exits.Count >= maxExits;
    }

    public void Reset() => _exits.Clear();
}
