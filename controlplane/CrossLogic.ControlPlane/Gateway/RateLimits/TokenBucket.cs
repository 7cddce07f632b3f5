namespace CrossLogic.ControlPlane.Gateway.RateLimits;

/// <summary>
/// A per-minute budget that refills continuously. Unlike a plain limiter it can go into debt: tokens are only known
/// after a request finished, so they are charged then, and the next request waits until the debt is repaid.
/// </summary>
internal sealed class TokenBucket(double perMinute, long startTimestamp, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly double _perSecond = perMinute / 60.0;
    private double _balance = perMinute;
    private long _updated = startTimestamp;

    public double Capacity { get; } = perMinute;

    /// <summary>Takes <paramref name="amount"/> if the balance covers it; otherwise how long until it would.</summary>
    public bool TryTake(double amount, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            Refill();
            if (_balance >= amount)
            {
                _balance -= amount;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((amount - _balance) / _perSecond);
            return false;
        }
    }

    /// <summary>True while the balance is positive (admits a request whose cost is not known yet).</summary>
    public bool HasCredit(out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            Refill();
            retryAfter = _balance > 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((-_balance + 1) / _perSecond);
            return _balance > 0;
        }
    }

    /// <summary>Charges after the fact; the balance may go negative.</summary>
    public void Charge(double amount)
    {
        lock (_lock)
        {
            Refill();
            _balance -= amount;
        }
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        var elapsed = time.GetElapsedTime(_updated, now).TotalSeconds;
        _updated = now;
        _balance = Math.Min(Capacity, _balance + (elapsed * _perSecond));
    }
}
