using System.Globalization;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;

namespace CrossLogic.Bench;

/// <summary>
/// The agent's own cost while it supervises an engine: CPU (% of one core) and RSS over a window in which it scrapes
/// /metrics and checks /health every second, samples GPUs (through the fake NVML when built) and heartbeats.
/// </summary>
internal static class AgentBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Args.Parse(args);
        var seconds = int.Parse(options.Get("--seconds", "30"), CultureInfo.InvariantCulture);
        var dir = Directory.CreateTempSubdirectory("crosslogic-bench-agent-").FullName;
        await using var postgres = await TempPostgres.StartAsync();
        await using var controlPlane = await ControlPlaneProcess.StartAsync(postgres.ConnectionString(), new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });

        const string nodeId = "bench-agent";
        var token = await controlPlane.CreateNodeAsync(nodeId);
        var probePort = FreePort.Next();
        var config = AgentProcess.Config(nodeId, controlPlane.GrpcUrl, token, probePort);
        var engine = AgentProcess.MockEngine(Path.Combine(dir, "engine.log"));
        engine["ScrapeIntervalMs"] = 1000;
        config["Engine"] = engine;
        await using var agent = AgentProcess.StartWithConfig(config, nodeId, probePort);
        await Eventually.TrueAsync(async () => (await controlPlane.GetNodeAsync(nodeId)).State == Node.Types.State.Ready, TimeSpan.FromSeconds(60), "engine ready");

        var before = ProcessStats.CpuTime(agent.Process.Pid);
        var started = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var cpu = ProcessStats.CpuTime(agent.Process.Pid) - before;
        var wall = DateTimeOffset.UtcNow - started;

        Console.WriteLine($"agent_cpu_pct: {(100 * cpu / wall).ToString("0.###", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"agent_supervising_rss_mb: {ProcessStats.RssMb(agent.Process.Pid).ToString("0.##", CultureInfo.InvariantCulture)}");
        Directory.Delete(dir, recursive: true);
        return 0;
    }
}
