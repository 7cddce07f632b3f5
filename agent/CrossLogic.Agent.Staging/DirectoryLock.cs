namespace CrossLogic.Agent.Staging;

/// <summary>
/// Keeps two stagings (in this process or another) out of one model directory: an exclusive lock on
/// <c>.crosslogic/lock</c> (FileShare.None is an advisory flock on Linux, released by the kernel when the process dies).
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    private readonly FileStream _lock;

    private DirectoryLock(FileStream lockFile) => _lock = lockFile;

    public static DirectoryLock Acquire(string modelDirectory) =>
        TryAcquire(modelDirectory) ?? throw new StagingException($"{modelDirectory} is being staged by another process or call; wait for it to finish.");

    public static DirectoryLock? TryAcquire(string modelDirectory)
    {
        try
        {
            Directory.CreateDirectory(StagingPaths.StateDirectory(modelDirectory));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new StagingException($"{modelDirectory} cannot be written: {exception.Message}", exception);
        }

        try
        {
            return new DirectoryLock(new FileStream(StagingPaths.LockFile(modelDirectory), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _lock.Dispose();
}
