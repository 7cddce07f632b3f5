using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet.Provisioning.Local;

/// <summary>
/// Launches agents as detached processes on this machine. Each cluster is a directory holding the agent's config, its
/// secrets (mode 0600), its logs and a record of the running process, so the provisioner's view survives a restart of
/// the control plane exactly as a cloud's would. The engine is real vLLM where installed with a GPU, else the mock.
/// </summary>
internal sealed class LocalProvisioner(IOptions<LocalProvisionerOptions> options, IOptions<Hosting.EndpointOptions> endpoints, TimeProvider timeProvider)
    : INodeProvisioner
{
    private const string RecordFile = "cluster.json";
    private readonly SemaphoreSlim _launchLock = new(1, 1);

    public string Name => "local";

    private LocalProvisionerOptions Options => options.Value;

    public async Task<LaunchedCluster> LaunchAsync(LaunchSpec spec, CancellationToken cancellationToken)
    {
        // One launch at a time: the capacity check and the port choice must not race.
        await _launchLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var dir = ClusterDirectory(spec.ClusterName);
            if (ReadRecord(dir) is { } existing && LocalProcess.IsAlive(existing.Pid, existing.StartTime))
            {
                return existing.ToLaunched();
            }

            var running = (await ListAsync(cancellationToken).ConfigureAwait(false)).Count(c => c.State == ClusterState.Up && c.ClusterName != spec.ClusterName);
            if (running >= Options.MaxClusters)
            {
                throw new ProvisionException(ProvisionFailure.NoCapacity, $"local: {running} clusters already run (Provisioners:Local:MaxClusters)");
            }

            Directory.CreateDirectory(dir);
            LocalProcess.KillStrays(Path.Combine(dir, "agent.json"));
            var record = new ClusterRecord
            {
                ClusterName = spec.ClusterName,
                NodeId = spec.NodeId,
                EnginePort = FreePort(),
                ProbePort = FreePort(),
                LaunchedAt = timeProvider.GetUtcNow(),
            };
            WriteSecret(Path.Combine(dir, "node.token"), spec.NodeToken);
            WriteSecret(Path.Combine(dir, "engine.key"), spec.EngineApiKey);
            await File.WriteAllTextAsync(Path.Combine(dir, "agent.json"), AgentConfig(spec, record, dir), cancellationToken).ConfigureAwait(false);
            var agent = RequireFile(Options.AgentBinary, "Provisioners:Local:AgentBinary");
            (record.Pid, record.StartTime) = await LocalProcess.StartDetachedAsync(
                agent, ["run", "--config", Path.Combine(dir, "agent.json")], dir, Path.Combine(dir, "agent.log")).ConfigureAwait(false);
            WriteRecord(dir, record);
            return record.ToLaunched();
        }
        finally
        {
            _launchLock.Release();
        }
    }

    public async Task TeardownAsync(string clusterName, CancellationToken cancellationToken)
    {
        var dir = ClusterDirectory(clusterName);
        if (ReadRecord(dir) is { } record)
        {
            await LocalProcess.StopAsync(record.Pid, record.StartTime, TimeSpan.FromSeconds(Options.StopGraceSeconds), cancellationToken).ConfigureAwait(false);
            if (LocalProcess.IsAlive(record.Pid, record.StartTime))
            {
                throw new ProvisionException(ProvisionFailure.Transient, $"local: agent {record.Pid} of {clusterName} did not stop");
            }
        }

        if (Directory.Exists(dir))
        {
            // Keep the logs for post-mortems; the secrets go.
            var gone = dir + ".terminated-" + timeProvider.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            Directory.Move(dir, gone);
            File.Delete(Path.Combine(gone, "node.token"));
            File.Delete(Path.Combine(gone, "engine.key"));
        }
    }

    public Task<IReadOnlyList<ClusterStatus>> ListAsync(CancellationToken cancellationToken)
    {
        var clusters = new List<ClusterStatus>();
        if (Directory.Exists(StateDirectory))
        {
            foreach (var dir in Directory.EnumerateDirectories(StateDirectory))
            {
                if (ReadRecord(dir) is { } record && ClusterNames.IsOurs(record.ClusterName) && Path.GetFileName(dir) == record.ClusterName)
                {
                    // A process that died is a machine that stopped: the cloud would show STOPPED too.
                    var state = LocalProcess.IsAlive(record.Pid, record.StartTime) ? ClusterState.Up : ClusterState.Stopped;
                    clusters.Add(new ClusterStatus(record.ClusterName, state, "local", "local", record.LaunchedAt));
                }
            }
        }

        return Task.FromResult<IReadOnlyList<ClusterStatus>>(clusters);
    }

    private string StateDirectory => Options.StateDirectory.Length > 0
        ? Options.StateDirectory
        : Path.Combine(Path.GetTempPath(), "crosslogic-local-clusters");

    private string ClusterDirectory(string clusterName) =>
        ClusterNames.IsOurs(clusterName) ? Path.Combine(StateDirectory, clusterName) : throw new ProvisionException(ProvisionFailure.Invalid, $"'{clusterName}' is not a cluster name of ours");

    private string AgentConfig(LaunchSpec spec, ClusterRecord record, string dir)
    {
        var controlPlane = Options.ControlPlaneUrl.Length > 0
            ? Options.ControlPlaneUrl
            : $"http://127.0.0.1:{endpoints.Value.GrpcPort.ToString(CultureInfo.InvariantCulture)}";
        var engine = new JsonObject
        {
            ["Model"] = spec.Model,
            ["Host"] = "127.0.0.1",
            ["Port"] = record.EnginePort,
            ["ApiKeyFile"] = Path.Combine(dir, "engine.key"),
            ["LogFile"] = Path.Combine(dir, "engine.log"),
            ["ExtraArgs"] = new JsonArray([.. spec.EngineArgs.Select(a => JsonValue.Create(a))]),
        };
        if (spec.GpuCount > 1)
        {
            engine["TensorParallelSize"] = spec.GpuCount;
        }

        if (UseVllm())
        {
            engine["Executable"] = "vllm";
        }
        else
        {
            engine["Executable"] = "dotnet";
            engine["ExecutablePrefixArgs"] = new JsonArray(RequireFile(Options.MockEngineDll, "Provisioners:Local:MockEngineDll"));
        }

        foreach (var (key, value) in Options.EngineSettings)
        {
            engine[key] = value;
        }

        var config = new JsonObject
        {
            ["NodeId"] = spec.NodeId,
            ["ControlPlane"] = new JsonObject { ["Url"] = controlPlane, ["TokenFile"] = Path.Combine(dir, "node.token") },
            ["Probe"] = new JsonObject { ["ListenAddress"] = "127.0.0.1", ["Port"] = record.ProbePort },
            ["Engine"] = engine,
            // A process on this machine: no cloud metadata service announces its end.
            ["Preemption"] = new JsonObject { ["Cloud"] = "none" },
        };
        if (Options.AgentSettingsJson.Length > 0)
        {
            Merge(config, JsonNode.Parse(Options.AgentSettingsJson) as JsonObject
                ?? throw new ProvisionException(ProvisionFailure.Invalid, "Provisioners:Local:AgentSettingsJson must be a JSON object"));
        }

        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Deep merge: objects key by key, anything else replaced.</summary>
    private static void Merge(JsonObject target, JsonObject source)
    {
        foreach (var (key, value) in source)
        {
            if (value is JsonObject child && target[key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    private bool UseVllm() => Options.Engine switch
    {
        "vllm" => true,
        "mock" => false,
        _ => OnPath("vllm") && OnPath("nvidia-smi") && NvidiaSmiSeesGpu(),
    };

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));

    private static bool NvidiaSmiSeesGpu()
    {
        try
        {
            using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", "-L") { RedirectStandardOutput = true, RedirectStandardError = true });
            return smi is not null && smi.WaitForExit(5000) && smi.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string RequireFile(string path, string key) =>
        path.Length > 0 && File.Exists(path) ? path : throw new ProvisionException(ProvisionFailure.Invalid, $"local: {key} '{path}' does not exist");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WriteSecret(string path, string value)
    {
        File.Delete(path);
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, create);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(value));
    }

    private static ClusterRecord? ReadRecord(string dir)
    {
        try
        {
            return JsonSerializer.Deserialize<ClusterRecord>(File.ReadAllText(Path.Combine(dir, RecordFile)));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void WriteRecord(string dir, ClusterRecord record)
    {
        var temp = Path.Combine(dir, RecordFile + ".tmp");
        File.WriteAllText(temp, JsonSerializer.Serialize(record));
        File.Move(temp, Path.Combine(dir, RecordFile), overwrite: true);
    }

    /// <summary>What the provisioner remembers about one cluster.</summary>
    private sealed class ClusterRecord
    {
        public string ClusterName { get; set; } = "";
        public string NodeId { get; set; } = "";
        public int Pid { get; set; }
        public long StartTime { get; set; }
        public int EnginePort { get; set; }
        public int ProbePort { get; set; }
        public DateTimeOffset LaunchedAt { get; set; }

        public LaunchedCluster ToLaunched() => new(
            ClusterName,
            $"127.0.0.1:{ProbePort.ToString(CultureInfo.InvariantCulture)}",
            $"http://127.0.0.1:{EnginePort.ToString(CultureInfo.InvariantCulture)}",
            "local",
            "local");
    }
}
