using CrossLogic.Testing;

namespace CrossLogic.Cli.Tests;

/// <summary>
/// A throwaway PostgreSQL and the real control plane on it. With <see cref="LocalFleetSettings"/> deployments really
/// launch: the local provisioner starts the published agent with the mock engine, at test pace. Disposing kills every
/// agent it started, whatever a test left behind.
/// </summary>
public class ControlPlaneFixture : IAsyncLifetime
{
    private readonly bool _localFleet;
    private TempPostgres? _postgres;
    private ControlPlaneProcess? _controlPlane;
    private LocalClusters? _clusters;

    protected ControlPlaneFixture(bool localFleet) => _localFleet = localFleet;

    public ControlPlaneFixture()
        : this(localFleet: false)
    {
    }

    public string Dir { get; } = Directory.CreateTempSubdirectory("clctl-tests-").FullName;

    public ControlPlaneProcess ControlPlane => _controlPlane ?? throw new InvalidOperationException("not started");

    /// <summary>The arguments that point clctl at this control plane with the admin token, then <paramref name="args"/>.</summary>
    public string[] Args(params string[] args) => ["--server", ControlPlane.GrpcUrl, "--token", ControlPlaneProcess.AdminToken, .. args];

    /// <summary>Runs clctl against this control plane with the admin token.</summary>
    public Task<ClctlResult> RunAsync(params string[] args) => Clctl.RunAsync(Args(args), null);

    public virtual async Task InitializeAsync()
    {
        _postgres = await TempPostgres.StartAsync();
        await _postgres.CreateDatabaseAsync("clitest");
        // SkyPilot's catalog samples, for `clctl offers`.
        var settings = new Dictionary<string, string> { ["Fleet__CatalogDirectory"] = Path.Combine(RepoPaths.Root, "tests", "data", "skypilot", "catalog") };
        if (_localFleet)
        {
            var clusters = Path.Combine(Dir, "clusters");
            _clusters = new LocalClusters(clusters);
            foreach (var (key, value) in LocalFleetSettings(clusters))
            {
                settings[key] = value;
            }
        }

        _controlPlane = await ControlPlaneProcess.StartAsync(_postgres.ConnectionString("clitest"), settings);
    }

    public virtual async Task DisposeAsync()
    {
        if (_controlPlane is not null)
        {
            await _controlPlane.DisposeAsync();
        }

        if (_clusters is not null)
        {
            await _clusters.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // An agent still writing its log; the OS cleans temp.
        }
    }

    /// <summary>The local provisioner with the mock engine, the reconciler and outbox at test pace.</summary>
    private static Dictionary<string, string> LocalFleetSettings(string clusters) => new()
    {
        ["Fleet__Provisioners__0"] = "local",
        ["Fleet__ReconcileIntervalMs"] = "300",
        ["Fleet__LeaderPollMs"] = "200",
        ["Fleet__CloudSyncIntervalMs"] = "1000",
        ["Fleet__OutboxClaimSeconds"] = "3",
        ["Fleet__DrainTimeoutSeconds"] = "3",
        ["Provisioners__Local__StateDirectory"] = clusters,
        ["Provisioners__Local__AgentBinary"] = RepoPaths.AgentBinary,
        ["Provisioners__Local__MockEngineDll"] = RepoPaths.MockEngineDll,
        ["Provisioners__Local__Engine"] = "mock",
        ["Provisioners__Local__EngineSettings__ScrapeIntervalMs"] = "250",
        ["Provisioners__Local__EngineSettings__StopGraceSeconds"] = "3",
    };
}
