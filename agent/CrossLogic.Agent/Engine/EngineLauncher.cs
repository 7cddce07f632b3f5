using System.Collections.Concurrent;
using System.Diagnostics;

namespace CrossLogic.Agent.Engine;

/// <summary>
/// Starts engine processes so that none outlives the agent: each runs in its own session and process group
/// (`setsid`, so the group can be signalled as one) with a parent-death signal (`setpriv --pdeathsig KILL`).
/// The kernel sends that signal when the forking *thread* ends, so every start happens on this one dedicated thread,
/// which lives as long as the agent.
/// </summary>
internal sealed class EngineLauncher : IDisposable
{
    private const string SetSid = "/usr/bin/setsid";
    private const string SetPriv = "/usr/bin/setpriv";
    private readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> _requests = new();
    private readonly Thread _thread;

    public EngineLauncher()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "engine-launcher" };
        _thread.Start();
    }

    /// <summary>False when setsid/setpriv are missing: the engine then runs without the orphan guards.</summary>
    public static bool GuardsAvailable => File.Exists(SetSid) && File.Exists(SetPriv);

    public Task<Process> StartAsync(string executable, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (GuardsAvailable)
        {
            info.FileName = SetSid;
            foreach (var arg in (string[])[SetPriv, "--pdeathsig", "KILL", "--", executable])
            {
                info.ArgumentList.Add(arg);
            }
        }
        else
        {
            info.FileName = executable;
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((info, started));
        return started.Task;
    }

    public void Dispose() => _requests.CompleteAdding();

    private void Run()
    {
        foreach (var (info, started) in _requests.GetConsumingEnumerable())
        {
            try
            {
                var process = new Process { StartInfo = info, EnableRaisingEvents = true };
                process.Start();
                started.SetResult(process);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
            {
                started.SetException(ex);
            }
        }
    }
}
