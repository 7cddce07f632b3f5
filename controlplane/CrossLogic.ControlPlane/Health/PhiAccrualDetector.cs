namespace CrossLogic.ControlPlane.Health;

/// <summary>
/// The phi-accrual failure detector (Hayashibara et al., 2004; as in Akka and Cassandra) over one node's heartbeat
/// arrivals, by the control plane's own clock. It learns the inter-arrival times of regular beats (a sliding window,
/// seeded with the interval the agent was told) and answers how unlikely the current silence is:
/// phi = −log10(P(a beat arrives later than now)), with a normal distribution whose standard deviation has a floor, so
/// a perfectly regular sender on a quiet network is not suspected after a few milliseconds of jitter.
/// Not thread-safe: the node's live state holds it under its lock.
/// </summary>
internal sealed class PhiAccrualDetector
{
    private readonly double[] _window;
    private readonly double _minStdDevMs;
    private int _count;
    private int _next;
    private double _sum;
    private double _sumOfSquares;
    private DateTime _lastArrival;
    private DateTime _lastRegular;

    public PhiAccrualDetector(TimeSpan expectedInterval, TimeSpan minStdDev, DateTime start, int windowSize = 100)
    {
        _window = new double[windowSize];
        _minStdDevMs = minStdDev.TotalMilliseconds;
        _lastArrival = start;
        _lastRegular = start;
        // Seed with the expected rhythm so the first beats are judged before there is any history.
        var expected = expectedInterval.TotalMilliseconds;
        Add(expected - minStdDev.TotalMilliseconds);
        Add(expected + minStdDev.TotalMilliseconds);
    }

    public DateTime LastArrival => _lastArrival;

    /// <summary>A beat arrived. Extra beats (sent on a change, between regular ones) prove liveness but do not
    /// teach the rhythm.</summary>
    public void Arrived(DateTime now, bool regular)
    {
        if (regular)
        {
            var interval = (now - _lastRegular).TotalMilliseconds;
            if (interval > 0)
            {
                Add(interval);
            }

            _lastRegular = now;
        }

        if (now > _lastArrival)
        {
            _lastArrival = now;
        }
    }

    /// <summary>How suspicious the silence since the last beat is: 1 means a 10 % chance it is only late, 8 means 1e-8.</summary>
    public double Phi(DateTime now)
    {
        var elapsed = (now - _lastArrival).TotalMilliseconds;
        if (elapsed <= 0)
        {
            return 0;
        }

        var mean = _sum / _count;
        var variance = Math.Max(0, (_sumOfSquares / _count) - (mean * mean));
        var stdDev = Math.Max(Math.Sqrt(variance), _minStdDevMs);
        var y = (elapsed - mean) / stdDev;
        // Logistic approximation of the normal CDF's tail (Akka's), accurate to about 1e-3 and cheap.
        var e = Math.Exp(-y * ((1.5976 + (0.070566 * y * y))));
        var pLater = elapsed > mean ? e / (1.0 + e) : 1.0 - (1.0 / (1.0 + e));
        return pLater <= 0 ? double.MaxValue : -Math.Log10(pLater);
    }

    /// <summary>How long after the last beat phi reaches <paramref name="threshold"/> at the current statistics.</summary>
    public TimeSpan SilenceUntil(double threshold)
    {
        var probe = _lastArrival;
        var step = TimeSpan.FromMilliseconds(10);
        for (var i = 0; i < 100_000 && Phi(probe) < threshold; i++)
        {
            probe += step;
        }

        return probe - _lastArrival;
    }

    private void Add(double intervalMs)
    {
        if (_count == _window.Length)
        {
            var old = _window[_next];
            _sum -= old;
            _sumOfSquares -= old * old;
        }
        else
        {
            _count++;
        }

        _window[_next] = intervalMs;
        _next = (_next + 1) % _window.Length;
        _sum += intervalMs;
        _sumOfSquares += intervalMs * intervalMs;
    }
}
