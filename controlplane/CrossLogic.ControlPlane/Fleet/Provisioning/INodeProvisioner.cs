namespace CrossLogic.ControlPlane.Fleet.Provisioning;

/// <summary>
/// Brings single-node GPU clusters up and down. Every call is idempotent by cluster name: launching a cluster that
/// exists returns it, tearing down one that does not exist succeeds. Failures an operator can act on are
/// <see cref="ProvisionException"/>s with a <see cref="ProvisionFailure"/> kind.
/// </summary>
internal interface INodeProvisioner
{
    /// <summary>`local` or `skypilot`: what nodes and deployments name.</summary>
    string Name { get; }

    /// <summary>Launches (or finds) the cluster and returns where its agent and engine answer.</summary>
    Task<LaunchedCluster> LaunchAsync(LaunchSpec spec, CancellationToken cancellationToken);

    /// <summary>Tears the cluster down and confirms it is gone; succeeds when it never existed.</summary>
    Task TeardownAsync(string clusterName, CancellationToken cancellationToken);

    /// <summary>Every `cic-` cluster the provider knows, with its status as the provider sees it now.</summary>
    Task<IReadOnlyList<ClusterStatus>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>What one launch needs. The secrets are handed to the machine and never written to a log or a file the
/// provider keeps.</summary>
internal sealed record LaunchSpec(
    string ClusterName,
    string NodeId,
    string Model,
    IReadOnlyList<string> EngineArgs,
    string GpuType,
    int GpuCount,
    string Cloud,
    string Region,
    bool Spot,
    string NodeToken,
    string EngineApiKey);

/// <summary>A cluster that is up, with the addresses the control plane uses (never ones the agent claims).</summary>
internal sealed record LaunchedCluster(string ClusterName, string ProbeEndpoint, string EngineEndpoint, string Cloud, string Region);

/// <summary>The provider's view of one cluster.</summary>
internal sealed record ClusterStatus(string ClusterName, ClusterState State, string Cloud, string Region, DateTimeOffset? LaunchedAt);

internal enum ClusterState
{
    /// <summary>Being created or repaired (`INIT`, `PENDING`).</summary>
    Starting,

    /// <summary>Running (`UP`).</summary>
    Up,

    /// <summary>Stopped: for a spot machine, reclaimed by the cloud (`STOPPED`).</summary>
    Stopped,
}
