using System.Globalization;

namespace CrossLogic.Agent.Engine;

/// <summary>The load gauges the router needs, read from vLLM's Prometheus text.</summary>
internal sealed record EngineLoad(int Running, int Waiting, double KvCacheUsage)
{
    public static readonly EngineLoad Idle = new(0, 0, 0);

    /// <summary>
    /// Sums each gauge over its label sets (one per engine/model). Accepts `vllm:kv_cache_usage_perc` (current vLLM)
    /// and `vllm:gpu_cache_usage_perc` (older releases).
    /// </summary>
    public static EngineLoad Parse(string text)
    {
        double running = 0, waiting = 0, kv = 0, legacyKv = 0;
        var sawKv = false;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny('{', ' ');
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            var valueStart = line.LastIndexOf(' ');
            if (valueStart <= nameEnd - 1 || !double.TryParse(line[(valueStart + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
            {
                continue;
            }

            switch (name)
            {
                case "vllm:num_requests_running": running += value; break;
                case "vllm:num_requests_waiting": waiting += value; break;
                case "vllm:kv_cache_usage_perc": kv = Math.Max(kv, value); sawKv = true; break;
                case "vllm:gpu_cache_usage_perc": legacyKv = Math.Max(legacyKv, value); break;
            }
        }

        return new EngineLoad((int)running, (int)waiting, Math.Clamp(sawKv ? kv : legacyKv, 0, 1));
    }
}
