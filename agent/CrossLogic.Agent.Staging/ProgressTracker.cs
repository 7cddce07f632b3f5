using System.Collections.Concurrent;

namespace CrossLogic.Agent.Staging;

/// <summary>Counts one staging's bytes and files, and reports a <see cref="StagingProgress"/> every 250 ms.</summary>
internal sealed class ProgressTracker : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    // The rate is measured over the last few seconds, so that a stall shows at once and the ETA follows it.
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    private readonly S3ModelLocation _location;
    private readonly IProgress<StagingProgress>? _progress;
    private readonly TimeProvider _time;
    private readonly long _bytesTotal;
    private readonly int _filesTotal;
    private readonly long _started;
    private readonly ConcurrentDictionary<string, bool> _current = new(StringComparer.Ordinal);
    private readonly Queue<(long Timestamp, long Downloaded)> _samples = new();
    private readonly Lock _samplesGate = new();
    private readonly ITimer? _timer;
    private long _bytesDone;
    private long _bytesDownloaded;
    private long _bytesReused;
    private int _filesDone;
    private int _retries;
    private int _reporting;
    private int _completed;

    public ProgressTracker(S3ModelLocation location, IProgress<StagingProgress>? progress, TimeProvider time, long bytesTotal, int filesTotal)
    {
        _location = location;
        _progress = progress;
        _time = time;
        _bytesTotal = bytesTotal;
        _filesTotal = filesTotal;
        _started = time.GetTimestamp();
        _timer = progress is null ? null : time.CreateTimer(_ => Tick(), null, Interval, Interval);
    }

    public long BytesDownloaded => Interlocked.Read(ref _bytesDownloaded);

    public long BytesReused => Interlocked.Read(ref _bytesReused);

    public int Retries => Volatile.Read(ref _retries);

    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    public void Downloaded(long bytes)
    {
        Interlocked.Add(ref _bytesDownloaded, bytes);
        Interlocked.Add(ref _bytesDone, bytes);
    }

    public void Reused(long bytes)
    {
        Interlocked.Add(ref _bytesReused, bytes);
        Interlocked.Add(ref _bytesDone, bytes);
    }

    /// <summary>Bytes of a file that starts over (changed, or failed its hash) no longer count as done.</summary>
    public void Discarded(AttemptCounters attempt)
    {
        Interlocked.Add(ref _bytesDone, -attempt.Done);
        Interlocked.Add(ref _bytesReused, -attempt.Reused);
    }

    public void Retried() => Interlocked.Increment(ref _retries);

    public void FileStarted(string relativePath) => _current[relativePath] = true;

    public void FileFinished(string relativePath, bool staged)
    {
        _current.TryRemove(relativePath, out _);
        if (staged)
        {
            Interlocked.Increment(ref _filesDone);
        }
    }

    public StagingProgress Snapshot()
    {
        var now = _time.GetTimestamp();
        var downloaded = BytesDownloaded;
        double rate;
        lock (_samplesGate)
        {
            _samples.Enqueue((now, downloaded));
            while (_samples.Count > 2 && _time.GetElapsedTime(_samples.Peek().Timestamp, now) > RateWindow)
            {
                _samples.Dequeue();
            }

            var (since, from) = _samples.Count > 1 ? _samples.Peek() : (_started, 0L);
            var seconds = _time.GetElapsedTime(since, now).TotalSeconds;
            rate = seconds > 0 ? (downloaded - from) / seconds : 0;
        }

        var done = Interlocked.Read(ref _bytesDone);
        TimeSpan? remaining = rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, _bytesTotal - done) / rate) : null;
        var current = _current.Keys.Order(StringComparer.Ordinal).ToArray();
        return new StagingProgress(_location, done, _bytesTotal, downloaded, Volatile.Read(ref _filesDone), _filesTotal, rate, remaining, current, Retries, _time.GetElapsedTime(_started, now));
    }

    /// <summary>The last report, after every file finished.</summary>
    public void Complete()
    {
        Volatile.Write(ref _completed, 1);
        _timer?.Dispose();
        _progress?.Report(Snapshot());
    }

    public void Dispose() => _timer?.Dispose();

    private void Tick()
    {
        // A slow IProgress handler must not make reports pile up on the timer's threads.
        if (Volatile.Read(ref _completed) == 1 || Interlocked.Exchange(ref _reporting, 1) == 1)
        {
            return;
        }

        try
        {
            _progress!.Report(Snapshot());
        }
        finally
        {
            Volatile.Write(ref _reporting, 0);
        }
    }
}
