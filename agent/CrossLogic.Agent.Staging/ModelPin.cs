namespace CrossLogic.Agent.Staging;

/// <summary>Holds a cached model in use (the engine runs on it): the cache never evicts it until this is disposed.</summary>
public sealed class ModelPin : IDisposable
{
    private readonly Action _release;
    private int _released;

    internal ModelPin(S3ModelLocation location, string directory, Action release)
    {
        Location = location;
        Directory = directory;
        _release = release;
    }

    public S3ModelLocation Location { get; }

    /// <summary>Where the model's files are (or will be, once staged).</summary>
    public string Directory { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _release();
        }
    }
}
