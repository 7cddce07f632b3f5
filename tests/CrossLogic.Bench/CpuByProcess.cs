using System.Globalization;

namespace CrossLogic.Bench;

/// <summary>
/// CPU time of every process on the box, grouped by what it is (from its command line), so a benchmark can say where
/// each request's CPU went: the load generator, the gateway, the engine, PostgreSQL, nginx, everything else.
/// </summary>
internal static class CpuByProcess
{
    public static Dictionary<string, TimeSpan> Sample()
    {
        var totals = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var self = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var group = pid == self ? "client" : Classify(File.ReadAllText(Path.Combine(dir, "cmdline")));
                totals[group] = totals.GetValueOrDefault(group) + ProcessStats.CpuTime(pid);
            }
            catch (IOException)
            {
                // Gone between listing and reading.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return totals;
    }

    /// <summary>CPU used by each group since <paramref name="before"/> (a <see cref="Sample"/>), added to <paramref name="into"/>.</summary>
    public static void AddUsedSince(Dictionary<string, TimeSpan> before, Dictionary<string, TimeSpan> into)
    {
        foreach (var (group, total) in Sample())
        {
            into[group] = into.GetValueOrDefault(group) + total - before.GetValueOrDefault(group);
        }
    }

    private static string Classify(string commandLine) => commandLine switch
    {
        _ when commandLine.Contains("CrossLogic.ControlPlane", StringComparison.Ordinal) => "gateway",
        // `dotnet …/crosslogic-bench.dll reference-proxy KIND …`: the line's own name.
        _ when commandLine.Contains("crosslogic-bench.dll\0reference-proxy\0", StringComparison.Ordinal) => commandLine.Split('\0')[3],
        _ when commandLine.Contains("MockEngine", StringComparison.Ordinal) => "engine",
        _ when commandLine.Contains("crosslogic-agent", StringComparison.Ordinal) => "agent",
        _ when commandLine.StartsWith("postgres", StringComparison.Ordinal) || commandLine.Contains("/postgres", StringComparison.Ordinal) => "postgres",
        _ when commandLine.StartsWith("nginx", StringComparison.Ordinal) || commandLine.Contains("/nginx", StringComparison.Ordinal) => "nginx",
        _ => "other",
    };
}
