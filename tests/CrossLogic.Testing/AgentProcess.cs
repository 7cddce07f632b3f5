using System.Text.Json;
using CrossLogic.Contracts.V1;
using Grpc.Net.Client;

namespace CrossLogic.Testing;

/// <summary>The published Native-AOT agent binary, run with a config file written for the test.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly string _configDir;
    private GrpcChannel? _probeChannel;

    private AgentProcess(ChildProcess process, string configDir, string nodeId, int probePort)
    {
        Process = process;
        _configDir = configDir;
        NodeId = nodeId;
        ProbePort = probePort;
    }

    public ChildProcess Process { get; }

    public string NodeId { get; }

    public int ProbePort { get; }

    public Agent.AgentClient Probe => new(_probeChannel ??= GrpcChannel.ForAddress($"http://127.0.0.1:{ProbePort}"));

    /// <summary>`authorization: Bearer <node token>`: what the agent's Drain (and the engine's output in Probe) need.</summary>
    public Grpc.Core.Metadata NodeTokenHeaders { get; private init; } = [];

    public GrpcChannel ProbeChannel => _probeChannel ??= GrpcChannel.ForAddress($"http://127.0.0.1:{ProbePort}");

    /// <summary>The config file the agent was started with.</summary>
    public static Dictionary<string, object> Config(string nodeId, string controlPlaneUrl, string token, int probePort) => new()
    {
        ["NodeId"] = nodeId,
        ["ControlPlane"] = new Dictionary<string, object> { ["Url"] = controlPlaneUrl, ["Token"] = token },
        ["Probe"] = new Dictionary<string, object> { ["ListenAddress"] = "127.0.0.1", ["Port"] = probePort },
        ["Link"] = new Dictionary<string, object> { ["ReconnectMinDelayMs"] = 50, ["ReconnectMaxDelayMs"] = 500 },
        // No cloud here; the preemption tests point it at their fake metadata server.
        ["Preemption"] = new Dictionary<string, object> { ["Cloud"] = "none" },
    };

    /// <summary>An `Engine` config section that runs the mock engine with vLLM's command line on a free port.</summary>
    public static Dictionary<string, object> MockEngine(string logFile, IReadOnlyDictionary<string, string>? mockEnvironment = null, string model = "test-model") => new()
    {
        ["Model"] = model,
        ["Executable"] = "dotnet",
        ["ExecutablePrefixArgs"] = new[] { RepoPaths.MockEngineDll },
        ["Host"] = "127.0.0.1",
        ["Port"] = FreePort.Next(),
        ["MaxModelLen"] = 4096,
        ["LogFile"] = logFile,
        ["RestartMinDelayMs"] = 100,
        ["RestartMaxDelayMs"] = 400,
        ["CrashLoopExits"] = 3,
        ["CrashLoopWindowSeconds"] = 120,
        ["StopGraceSeconds"] = 3,
        ["ShutdownDrainSeconds"] = 3,
        ["ScrapeIntervalMs"] = 250,
        ["Environment"] = mockEnvironment ?? new Dictionary<string, string>(),
    };

    public static AgentProcess Start(string nodeId, string controlPlaneUrl, string token, IReadOnlyDictionary<string, string>? environment = null)
    {
        var probePort = FreePort.Next();
        return StartWithConfig(Config(nodeId, controlPlaneUrl, token, probePort), nodeId, probePort, environment);
    }

    public static AgentProcess StartWithConfig(object config, string nodeId, int probePort, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "crosslogic-agent-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var configPath = Path.Combine(dir, "agent.json");
        File.WriteAllText(configPath, config as string ?? JsonSerializer.Serialize(config));
        var process = ChildProcess.Start(RepoPaths.AgentBinary, ["run", "--config", configPath], environment);
        var token = config is Dictionary<string, object> { } settings && settings.TryGetValue("ControlPlane", out var link)
            && link is Dictionary<string, object> linkSettings && linkSettings.TryGetValue("Token", out var value) ? value as string : null;
        return new AgentProcess(process, dir, nodeId, probePort)
        {
            NodeTokenHeaders = token is null ? [] : new Grpc.Core.Metadata { { "authorization", "Bearer " + token } },
        };
    }

    public async ValueTask DisposeAsync()
    {
        _probeChannel?.Dispose();
        await Process.DisposeAsync();
        try
        {
            Directory.Delete(_configDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
