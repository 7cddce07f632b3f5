using System.Runtime.InteropServices;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Agent.Hosting;

/// <summary>Reads the machine's facts sent in Hello.</summary>
internal static class HostFactsReader
{
    public static HostFacts Read() => new()
    {
        Hostname = Environment.MachineName,
        Kernel = ReadFirstLine("/proc/sys/kernel/osrelease"),
        Os = RuntimeInformation.OSDescription,
        CpuCount = Environment.ProcessorCount,
        MemoryBytes = ReadMemTotalBytes(),
        Architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
    };

    private static string ReadFirstLine(string path)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault()?.Trim() ?? "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static long ReadMemTotalBytes()
    {
        try
        {
            // "MemTotal:       24573412 kB"
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts is { Length: >= 2 } && long.TryParse(parts[1], out var kb) ? kb * 1024 : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
