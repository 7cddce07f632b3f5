using System.Globalization;
using CrossLogic.Agent.Link;
using CrossLogic.Contracts.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace CrossLogic.Agent.Gpu;

/// <summary>`crosslogic-agent gpus`: the inventory and health as a table; exit 1 when a GPU is not healthy.</summary>
internal static class GpusCommand
{
    public static int Run(TextWriter output)
    {
        var monitor = new GpuMonitor(new OutboundEventQueue(16, TimeProvider.System), TimeProvider.System, NullLogger<GpuMonitor>.Instance);
        if (!monitor.Initialize())
        {
            output.WriteLine($"No NVIDIA GPUs: {monitor.Unavailable}");
            return 0;
        }

        var samples = monitor.Sample();
        var rows = new List<string[]> { new[] { "GPU", "NAME", "UUID", "MEMORY", "UTIL", "TEMP", "POWER", "ECC(UNCORR)", "HEALTH" } };
        foreach (var device in monitor.Devices)
        {
            var sample = samples.FirstOrDefault(s => s.Index == device.Index) ?? new GpuSample { Health = new GpuHealth() };
            rows.Add(
            [
                device.Index.ToString(CultureInfo.InvariantCulture),
                device.Name,
                device.Uuid,
                $"{Gib(sample.MemoryUsedBytes)}/{Gib(device.MemoryTotalBytes)} GiB",
                $"{sample.UtilizationPercent}%",
                $"{sample.TemperatureCelsius}C",
                $"{sample.PowerMilliwatts / 1000.0:0}W",
                sample.UncorrectedEccErrors.ToString(CultureInfo.InvariantCulture),
                sample.Health.Reasons.Count == 0 ? sample.Health.State.ToString() : $"{sample.Health.State} ({string.Join("; ", sample.Health.Reasons)})",
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }

        monitor.Dispose();
        NvmlNative.Shutdown();
        return samples.All(s => s.Health.State == GpuHealth.Types.State.Healthy) ? 0 : 1;
    }

    private static string Gib(long bytes) => (bytes / 1024.0 / 1024 / 1024).ToString("0.0", CultureInfo.InvariantCulture);
}
