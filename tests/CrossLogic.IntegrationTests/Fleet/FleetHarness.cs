using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using Grpc.Core;

namespace CrossLogic.IntegrationTests.Fleet;

/// <summary>
/// A control plane with fleet management on its own database, driving either the local provisioner (agents as
/// processes on this machine, mock engines) or the fake `sky` CLI; the reconciler and outbox run at test pace.
/// Disposing tears every machine down, whatever the test left behind.
/// </summary>
public sealed class FleetHarness : IAsyncDisposable
{
    public const string Model = "fleet-model";
    private readonly List<ControlPlaneProcess> _controlPlanes = [];
    private readonly Dictionary<string, string> _settings;
    private readonly string _connectionString;

    private FleetHarness(string dir, string connectionString, Dictionary<string, string> settings, LocalClusters? local, FakeSky? sky)
    {
        Dir = dir;
        _connectionString = connectionString;
        _settings = settings;
        Local = local;
        Sky = sky;
    }

    public string Dir { get; }

    public LocalClusters? Local { get; }

    public FakeSky? Sky { get; }

    public string ConnectionString => _connectionString;

    /// <summary>The first control plane.</summary>
    public ControlPlaneProcess ControlPlane => _controlPlanes[0];

    public Contracts.V1.Fleet.FleetClient Fleet => ControlPlane.Fleet;

    public static Task<FleetHarness> StartLocalAsync(TempPostgres postgres, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var dir = Directory.CreateTempSubdirectory("crosslogic-fleet-").FullName;
        var settings = Common();
        settings["Fleet__Provisioners__0"] = "local";
        settings["Provisioners__Local__StateDirectory"] = Path.Combine(dir, "clusters");
        settings["Provisioners__Local__AgentBinary"] = RepoPaths.AgentBinary;
        settings["Provisioners__Local__MockEngineDll"] = RepoPaths.MockEngineDll;
        settings["Provisioners__Local__Engine"] = "mock";
        settings["Provisioners__Local__StopGraceSeconds"] = "8";
        settings["Provisioners__Local__EngineSettings__RestartMinDelayMs"] = "100";
        settings["Provisioners__Local__EngineSettings__ScrapeIntervalMs"] = "250";
        settings["Provisioners__Local__EngineSettings__StopGraceSeconds"] = "3";
        settings["Provisioners__Local__EngineSettings__ShutdownDrainSeconds"] = "3";
        return StartAsync(postgres, dir, settings, overrides, new LocalClusters(Path.Combine(dir, "clusters")), null);
    }

    public static Task<FleetHarness> StartSkyAsync(TempPostgres postgres, object? skyConfig = null, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var dir = Directory.CreateTempSubdirectory("crosslogic-fleet-").FullName;
        var sky = FakeSky.Create(Path.Combine(dir, "sky"), skyConfig);
        return StartAsync(postgres, dir, Common(), overrides, null, sky);
    }

    private static async Task<FleetHarness> StartAsync(
        TempPostgres postgres, string dir, Dictionary<string, string> settings, IReadOnlyDictionary<string, string>? overrides, LocalClusters? local, FakeSky? sky)
    {
        var database = "fleet_" + Guid.NewGuid().ToString("N")[..8];
        await postgres.CreateDatabaseAsync(database);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var harness = new FleetHarness(dir, postgres.ConnectionString(database), settings, local, sky);
        await harness.StartControlPlaneAsync();
        return harness;
    }

    /// <summary>Starts one more control plane on the same database (several replicas; one leads the reconciler).</summary>
    public async Task<ControlPlaneProcess> StartControlPlaneAsync(int? grpcPort = null)
    {
        grpcPort ??= FreePort.Next();
        var settings = new Dictionary<string, string>(_settings);
        if (Sky is not null)
        {
            foreach (var (key, value) in Sky.ControlPlaneSettings($"http://127.0.0.1:{grpcPort}"))
            {
                settings.TryAdd(key, value);
            }
        }

        var controlPlane = await ControlPlaneProcess.StartAsync(_connectionString, settings, grpcPort: grpcPort.Value);
        _controlPlanes.Add(controlPlane);
        return controlPlane;
    }

    public async Task<Deployment> CreateDeploymentAsync(string id, int replicas, string gpu = "L4", Action<Deployment>? configure = null)
    {
        var deployment = new Deployment { Model = Model, GpuType = gpu, GpuCount = 1, Replicas = replicas, MaxReplicas = 8 };
        configure?.Invoke(deployment);
        return await Fleet.CreateDeploymentAsync(new CreateDeploymentRequest { DeploymentId = id, Deployment = deployment });
    }

    /// <summary>Every node of the deployment (all states), from the API.</summary>
    public async Task<IReadOnlyList<Node>> NodesAsync(string deploymentId)
    {
        var nodes = new List<Node>();
        var token = "";
        do
        {
            var page = await Fleet.ListNodesAsync(new ListNodesRequest { PageSize = 500, PageToken = token });
            nodes.AddRange(page.Nodes.Where(n => n.Deployment == "deployments/" + deploymentId));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return nodes;
    }

    /// <summary>Waits until exactly <paramref name="ready"/> non-retiring nodes are READY and nothing else is on its way.</summary>
    public async Task<IReadOnlyList<Node>> WaitReadyAsync(string deploymentId, int ready, TimeSpan? timeout = null)
    {
        IReadOnlyList<Node> nodes = [];
        await Eventually.TrueAsync(
            async () =>
            {
                nodes = await NodesAsync(deploymentId);
                var serving = nodes.Where(n => !n.Retiring && n.State == Node.Types.State.Ready).ToList();
                var other = nodes.Where(n => !n.Retiring && n.State is not (Node.Types.State.Ready or Node.Types.State.Terminated or Node.Types.State.Failed or Node.Types.State.Lost));
                return serving.Count == ready && !other.Any();
            },
            timeout ?? TimeSpan.FromSeconds(90),
            $"{ready} ready node(s) in {deploymentId}; now: {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.State}{(n.Retiring ? "(retiring)" : "")}"))}\n{ControlPlane.Process.Output[^Math.Min(4000, ControlPlane.Process.Output.Length)..]}",
            pollMs: 200);
        return [.. nodes.Where(n => !n.Retiring && n.State == Node.Types.State.Ready)];
    }

    public async Task<IReadOnlyList<DeploymentEventRecord>> DeploymentEventsAsync(string deploymentId) =>
        (await Fleet.ListDeploymentEventsAsync(new ListDeploymentEventsRequest { Parent = "deployments/" + deploymentId, PageSize = 500 })).Events;

    public static async Task<RpcException> InvalidAsync(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        return error;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var controlPlane in _controlPlanes)
        {
            await controlPlane.DisposeAsync();
        }

        if (Local is not null)
        {
            await Local.DisposeAsync();
        }

        if (Sky is not null)
        {
            await Sky.DisposeAsync();
        }

        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A process still writing its log; the temp directory is cleaned by the OS.
        }
    }

    private static Dictionary<string, string> Common() => new()
    {
        ["Fleet__ReconcileIntervalMs"] = "300",
        ["Fleet__LeaderPollMs"] = "200",
        ["Fleet__CloudSyncIntervalMs"] = "1000",
        ["Fleet__OrphanGraceSeconds"] = "2",
        ["Fleet__OutboxClaimSeconds"] = "3",
        ["Fleet__DrainTimeoutSeconds"] = "5",
        ["Fleet__MaxReplicas"] = "16",
    };
}
