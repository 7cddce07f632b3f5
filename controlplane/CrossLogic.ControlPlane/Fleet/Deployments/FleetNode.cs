namespace CrossLogic.ControlPlane.Fleet.Deployments;

/// <summary>A node as the reconciler sees it: where it runs, what it cost, and where it is in its life.</summary>
internal sealed record FleetNode
{
    public required string NodeId { get; init; }
    public short State { get; init; }
    public string? DeploymentId { get; init; }
    public string? ClusterName { get; init; }
    public string Provisioner { get; init; } = "";
    public string Cloud { get; init; } = "";
    public string Region { get; init; } = "";
    public bool Spot { get; init; }
    public double PricePerHour { get; init; }
    public string GpuType { get; init; } = "";
    public int GpuCount { get; init; }
    public string Model { get; init; } = "";
    public string[] EngineArgs { get; init; } = [];
    public bool Connected { get; init; }
    public DateTime? LaunchedAt { get; init; }
    public DateTime? RetiringAt { get; init; }
    public DateTime? ReleasedAt { get; init; }
    public string FailureKind { get; init; } = "";
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>What deciding a launch writes: the node row (REQUESTED) and, with it, the outbox item.</summary>
internal sealed record NewFleetNode(
    string NodeId,
    string? DeploymentId,
    string Provisioner,
    string Cloud,
    string Region,
    bool Spot,
    double PricePerHour,
    string GpuType,
    int GpuCount,
    string Model,
    string[] EngineArgs,
    byte[] TokenHash,
    string LabelsJson);

/// <summary>A recent failed launch: which offer to avoid for a while.</summary>
internal sealed record LaunchFailure(string Provisioner, string Cloud, string Region, bool Spot, string GpuType, int GpuCount, string FailureKind, DateTime UpdatedAt);
