using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CrossLogic.ControlPlane.Fleet.Provisioning.Local;

/// <summary>
/// A detached process group on this machine: started through `setsid` so it outlives the control plane (as a cloud VM
/// outlives it), identified by pid and kernel start time so a reused pid is never signalled.
/// </summary>
internal static partial class LocalProcess
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>Starts <paramref name="executable"/> in its own session, output appended to <paramref name="logFile"/>;
    /// returns its pid and start time.</summary>
    public static async Task<(int Pid, long StartTime)> StartDetachedAsync(string executable, IReadOnlyList<string> arguments, string workingDirectory, string logFile)
    {
        // `sh` backgrounds the child, which is not a group leader, so `setsid` makes it one in place: $! is its pid.
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=\"$1\"; shift; setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(logFile);
        start.ArgumentList.Add(executable);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var shell = Process.Start(start) ?? throw new InvalidOperationException("could not start /bin/sh");
        var output = await shell.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await shell.WaitForExitAsync().ConfigureAwait(false);
        if (!int.TryParse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            throw new InvalidOperationException($"could not start {executable}: {output.Trim()}");
        }

        return (pid, StartTimeOf(pid) ?? throw new InvalidOperationException($"{executable} exited at once; see {logFile}"));
    }

    /// <summary>True while the process that was started with this pid and start time runs (not a zombie, not a reuse).</summary>
    public static bool IsAlive(int pid, long startTime) => pid > 0 && StartTimeOf(pid) == startTime;

    /// <summary>SIGTERM to the group, SIGKILL after the grace; returns once the leader is gone.</summary>
    public static async Task StopAsync(int pid, long startTime, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (!IsAlive(pid, startTime))
        {
            return;
        }

        _ = Kill(-pid, SigTerm);
        var deadline = DateTime.UtcNow + grace;
        while (IsAlive(pid, startTime) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        _ = Kill(-pid, SigKill);
        for (var i = 0; i < 100 && IsAlive(pid, startTime); i++)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Kills (SIGKILL, whole group) every process whose command line holds <paramref name="marker"/>: an agent started
    /// for a cluster whose record was never written (the control plane died in between) must not run beside its relaunch.
    /// </summary>
    public static int KillStrays(string marker)
    {
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Contains(marker, StringComparison.Ordinal))
                {
                    _ = Kill(-pid, SigKill);
                    _ = Kill(pid, SigKill);
                    killed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return killed;
    }

    /// <summary>Field 22 of /proc/PID/stat; null when the process is gone or a zombie.</summary>
    private static long? StartTimeOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) may hold spaces and parentheses: fields after it start after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] == "Z")
        {
            return null;
        }

        return long.Parse(fields[19], CultureInfo.InvariantCulture);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
