namespace CrossLogic.Bench;

/// <summary>Lock-free latency histogram with 10 µs buckets up to 10 s (the last bucket holds everything slower).</summary>
internal sealed class LatencyHistogram
{
    private const double BucketMs = 0.01;
    private readonly long[] _buckets = new long[1_000_001];

    public long Count => _buckets.Sum();

    public void Record(double milliseconds)
    {
        var index = (int)Math.Min(_buckets.Length - 1, Math.Max(0, milliseconds / BucketMs));
        Interlocked.Increment(ref _buckets[index]);
    }

    public double Percentile(double p)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(p / 100.0 * total);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= rank)
            {
                return (i + 1) * BucketMs;
            }
        }

        return _buckets.Length * BucketMs;
    }
}
