using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;

namespace CrossLogic.Bench;

/// <summary>
/// The link benchmark: agent binary size, RSS and time to first accepted heartbeat; then the largest number of agent
/// streams the control plane holds at one heartbeat per second with p99 handling ≤ 50 ms and no stream dropped.
/// </summary>
internal static class LinkBench
{
    private const double P99TargetMs = 50;
    private static readonly int[] StreamSteps = [2_500, 5_000, 10_000, 15_000, 20_000];

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Args.Parse(args);
        var maxStreams = int.Parse(options.Get("--max-streams", "20000"), CultureInfo.InvariantCulture);
        var holdSeconds = int.Parse(options.Get("--hold-seconds", "60"), CultureInfo.InvariantCulture);
        var rampPerSecond = options.Get("--ramp-per-second", "500");
        var rssAfterSeconds = int.Parse(options.Get("--rss-after-seconds", "30"), CultureInfo.InvariantCulture);
        int[] steps = options.Get("--steps", "") is { Length: > 0 } list
            ? list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : StreamSteps.Where(s => s <= maxStreams).ToArray();

        Print("agent_binary_mb", new FileInfo(RepoPaths.AgentBinary).Length / 1024.0 / 1024.0);

        await using var postgres = await TempPostgres.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["Link__FlushIntervalMs"] = "5000",
            // As packaging/Containerfile runs it: a 256 MiB gen0 budget makes the (stream-count-bound) gen0 pauses rare.
            ["DOTNET_GCgen0size"] = "0x10000000",
        };
        // BENCH_CP_<NAME>=value passes <NAME>=value to the control plane (GC or Link settings to compare).
        foreach (var entry in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>())
        {
            if (entry.Key is string key && key.StartsWith("BENCH_CP_", StringComparison.Ordinal))
            {
                settings[key["BENCH_CP_".Length..]] = (string)entry.Value!;
            }
        }

        await using var controlPlane = await ControlPlaneProcess.StartAsync(postgres.ConnectionString(), settings);

        var (firstHeartbeatMs, rssMb) = await MeasureAgentAsync(controlPlane, rssAfterSeconds);
        Print("agent_first_heartbeat_ms", firstHeartbeatMs);
        Print("agent_rss_mb", rssMb);

        var tokens = await CreateNodesAsync(controlPlane, steps.DefaultIfEmpty(0).Max());
        int? held = null;
        double heldP99 = double.NaN;
        foreach (var streams in steps)
        {
            var result = await RunLoadAsync(controlPlane, tokens, streams, holdSeconds, rampPerSecond);
            var p99 = result.GetProperty("p99_ms").GetDouble();
            var ok = result.GetProperty("welcomed").GetInt32() == streams && result.GetProperty("dropped").GetInt64() == 0 && p99 <= P99TargetMs;
            Console.Error.WriteLine($"# {streams} streams: {result} -> {(ok ? "held" : "not held")}");
            if (!ok)
            {
                break;
            }

            (held, heldP99) = (streams, p99);
        }

        Print("controlplane_max_streams", held ?? 0);
        Print("controlplane_heartbeat_p99_ms", heldP99);
        return 0;
    }

    /// <summary>Median of five starts: process start to the first heartbeat the control plane accepted; RSS of one agent after a while.</summary>
    private static async Task<(double FirstHeartbeatMs, double RssMb)> MeasureAgentAsync(ControlPlaneProcess controlPlane, int rssAfterSeconds)
    {
        var samples = new List<double>();
        AgentProcess? kept = null;
        for (var trial = 0; trial < 5; trial++)
        {
            var nodeId = $"bench-agent-{trial}";
            var token = await controlPlane.CreateNodeAsync(nodeId);
            var agent = AgentProcess.Start(nodeId, controlPlane.GrpcUrl, token);
            Node node = null!;
            await Eventually.TrueAsync(async () => (node = await controlPlane.GetNodeAsync(nodeId)).LastHeartbeatSequence >= 1, TimeSpan.FromSeconds(10), "first heartbeat", pollMs: 1);
            // last_seen is stamped by the control plane when it accepts a heartbeat; before the second beat it is the first one's.
            samples.Add((node.LastSeenTime.ToDateTimeOffset() - agent.Process.StartedAt).TotalMilliseconds);
            if (trial == 0)
            {
                kept = agent;
            }
            else
            {
                await agent.DisposeAsync();
            }
        }

        var started = kept!.Process.StartedAt;
        var wait = started.AddSeconds(rssAfterSeconds) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var rssMb = ProcessStats.RssMb(kept.Process.Pid);
        await kept.DisposeAsync();
        samples.Sort();
        Console.Error.WriteLine($"# first heartbeat samples (ms): {string.Join(", ", samples.Select(s => s.ToString("0.0", CultureInfo.InvariantCulture)))}");
        return (samples[samples.Count / 2], rssMb);
    }

    private static async Task<string> CreateNodesAsync(ControlPlaneProcess controlPlane, int count)
    {
        var watch = Stopwatch.StartNew();
        var lines = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var nodeId = $"bench-{i:00000}";
            lines[i] = nodeId + " " + await controlPlane.CreateNodeAsync(nodeId);
        });
        var path = Path.Combine(Path.GetTempPath(), $"crosslogic-bench-tokens-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(path, lines);
        Console.Error.WriteLine($"# registered {count} nodes through the admin API in {watch.Elapsed.TotalSeconds:0.0} s");
        return path;
    }

    private static async Task<JsonElement> RunLoadAsync(ControlPlaneProcess controlPlane, string tokens, int streams, int holdSeconds, string rampPerSecond)
    {
        var generator = ChildProcess.Start("dotnet", [
            typeof(LinkBench).Assembly.Location, "loadgen",
            "--url", controlPlane.GrpcUrl, "--tokens", tokens,
            "--count", streams.ToString(CultureInfo.InvariantCulture), "--seconds", holdSeconds.ToString(CultureInfo.InvariantCulture),
            "--ramp-per-second", rampPerSecond, "--cp-pid", controlPlane.Process.Pid.ToString(CultureInfo.InvariantCulture)]);
        if (!await generator.WaitForExitAsync(TimeSpan.FromMinutes(5)))
        {
            generator.Kill();
            throw new TimeoutException("load generator did not finish:\n" + generator.Output);
        }

        var line = generator.Output.Split('\n').LastOrDefault(l => l.StartsWith('{'))
            ?? throw new InvalidOperationException("load generator printed no result:\n" + generator.Output);
        await generator.DisposeAsync();
        if (controlPlane.Process.HasExited)
        {
            throw new InvalidOperationException("the control plane died under load:\n" + controlPlane.Process.Output);
        }

        return JsonDocument.Parse(line).RootElement.Clone();
    }

    private static void Print(string key, double value) => Console.WriteLine($"{key}: {value.ToString("0.##", CultureInfo.InvariantCulture)}");
}
