using System.Diagnostics;
using System.Globalization;
using CrossLogic.FakeSky.Home;

namespace CrossLogic.FakeSky.Boot;

/// <summary>A started boot command: the setsid'ed leader and its start time.</summary>
internal sealed record BootHandle(int Pid, long? StartTime);

/// <summary>
/// Runs config.boot_command for a cluster that became UP, standing in for the VM running the task's setup and run.
/// It leads its own session and process group, writes to clusters/NAME/boot.log and outlives the fake.
/// </summary>
internal static class BootProcess
{
    // $! is the setsid'ed process itself: a background job of a non-interactive shell is not a group leader,
    // so setsid(1) calls setsid(2) and execs without forking.
    private const string Launcher =
        "/usr/bin/setsid /bin/sh -c \"$FAKE_SKY_BOOT_COMMAND\" >>\"$FAKE_SKY_BOOT_LOG\" 2>&1 </dev/null & echo $!";

    public static bool IsRunning(ClusterRecord cluster) =>
        cluster.BootPid is { } pid && Posix.IsSameProcess(pid, cluster.BootStartTime);

    public static BootHandle Start(string command, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        Directory.CreateDirectory(workingDirectory);
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Launcher);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["FAKE_SKY_BOOT_COMMAND"] = command;
        start.Environment["FAKE_SKY_BOOT_LOG"] = Path.Combine(workingDirectory, "boot.log");

        using var shell = Process.Start(start) ?? throw new InvalidOperationException("could not start /bin/sh");
        var output = shell.StandardOutput.ReadToEnd();
        shell.WaitForExit();
        var pid = int.Parse(output.Trim(), CultureInfo.InvariantCulture);
        return new BootHandle(pid, Posix.StartTime(pid));
    }
}
