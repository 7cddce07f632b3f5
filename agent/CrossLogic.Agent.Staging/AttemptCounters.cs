namespace CrossLogic.Agent.Staging;

/// <summary>The bytes one attempt at a file counted, so a restart can take them back out of the progress.</summary>
internal sealed class AttemptCounters
{
    private long _downloaded;
    private long _reused;

    public long Downloaded => Interlocked.Read(ref _downloaded);

    public long Reused => Interlocked.Read(ref _reused);

    public long Done => Downloaded + Reused;

    public void AddDownloaded(long bytes) => Interlocked.Add(ref _downloaded, bytes);

    public void AddReused(long bytes) => Interlocked.Add(ref _reused, bytes);
}
