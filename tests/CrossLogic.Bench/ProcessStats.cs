using System.Globalization;

namespace CrossLogic.Bench;

/// <summary>CPU time and RSS of another process, from /proc.</summary>
internal static class ProcessStats
{
    /// <summary>User + system time (USER_HZ is 100 on Linux).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        if (pid <= 0)
        {
            return TimeSpan.Zero;
        }

        return CpuTimeOfStat(File.ReadAllText($"/proc/{pid}/stat"));
    }

    /// <summary>User + system time from a /proc stat line (a process's or a thread's).</summary>
    public static TimeSpan CpuTimeOfStat(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    public static double RssMb(int pid)
    {
        var kb = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return double.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
    }
}
