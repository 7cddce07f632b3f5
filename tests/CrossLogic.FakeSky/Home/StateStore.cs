using System.Text.Json;

namespace CrossLogic.FakeSky.Home;

/// <summary>
/// state.json behind an exclusive lock file, because the control plane runs several `sky` processes at once.
/// Every read-modify-write happens inside one <see cref="Update{T}"/>; nobody sleeps while holding the lock.
/// </summary>
internal sealed class StateStore(FakeSkyHome home)
{
    private static readonly TimeSpan LockRetry = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    public FakeState Read() => Update(state => state, save: false);

    public T Update<T>(Func<FakeState, T> change) => Update(change, save: true);

    private T Update<T>(Func<FakeState, T> change, bool save)
    {
        using var held = Lock(home);
        var state = Load();
        var result = change(state);
        if (save)
        {
            Save(state);
        }

        return result;
    }

    /// <summary>Holds FAKE_SKY_HOME/.lock (FileShare.None is an flock on Linux) until disposed.</summary>
    public static FileStream Lock(FakeSkyHome home)
    {
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(home.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(LockRetry);
            }
        }
    }

    private FakeState Load()
    {
        if (!File.Exists(home.StatePath))
        {
            return new FakeState();
        }

        var text = File.ReadAllText(home.StatePath);
        return string.IsNullOrWhiteSpace(text)
            ? new FakeState()
            : JsonSerializer.Deserialize(text, FakeSkyJson.Files.FakeState) ?? new FakeState();
    }

    private void Save(FakeState state)
    {
        // Write-then-rename: a reader never sees half a file, even one that ignores the lock.
        var temp = home.StatePath + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(state, FakeSkyJson.Files.FakeState));
        File.Move(temp, home.StatePath, overwrite: true);
    }
}
