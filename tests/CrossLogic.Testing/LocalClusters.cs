using System.Text.Json;

namespace CrossLogic.Testing;

/// <summary>The local provisioner's state directory seen from a test: its clusters' processes, and their cleanup.</summary>
public sealed class LocalClusters(string directory) : IAsyncDisposable
{
    public string Directory { get; } = directory;

    /// <summary>Live clusters: directory name → agent pid (the leader of its process group).</summary>
    public IReadOnlyDictionary<string, int> Running()
    {
        var running = new Dictionary<string, int>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return running;
        }

        foreach (var dir in System.IO.Directory.EnumerateDirectories(Directory))
        {
            var record = Path.Combine(dir, "cluster.json");
            if (File.Exists(record) && JsonDocument.Parse(File.ReadAllText(record)).RootElement.GetProperty("Pid").GetInt32() is var pid && IsAlive(pid))
            {
                running[Path.GetFileName(dir)] = pid;
            }
        }

        return running;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var pids = Running().Values.ToList();
        foreach (var pid in pids)
        {
            Signals.TrySend(-pid, Signals.SigTerm);
        }

        await Eventually.TrueAsync(() => pids.All(p => !IsAlive(p)), TimeSpan.FromSeconds(15), "local agents stopped").ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var pid in pids.Where(IsAlive))
        {
            Signals.TrySend(-pid, Signals.SigKill);
        }
    }
}
