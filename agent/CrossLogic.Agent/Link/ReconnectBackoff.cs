namespace CrossLogic.Agent.Link;

/// <summary>Capped exponential backoff with full jitter ("decorrelated" enough for a fleet redialing at once).</summary>
internal sealed class ReconnectBackoff(TimeSpan min, TimeSpan max, Random random)
{
    private int _attempt;

    public int Attempt => _attempt;

    /// <summary>The delay before the next dial: uniform in [min, min(max, min·2^attempt)].</summary>
    public TimeSpan Next()
    {
        var ceiling = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 30)));
        _attempt++;
        var jittered = min.TotalMilliseconds + (random.NextDouble() * (ceiling - min.TotalMilliseconds));
        return TimeSpan.FromMilliseconds(jittered);
    }

    /// <summary>A session was welcomed: the next failure starts again from the minimum.</summary>
    public void Reset() => _attempt = 0;
}
