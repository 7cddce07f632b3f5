namespace CrossLogic.ControlPlane.Fleet.Deployments;

/// <summary>One row of `deployments`.</summary>
internal sealed record DeploymentRow
{
    public const short Active = 1;
    public const short Deleting = 2;
    public const short Deleted = 3;

    public required string DeploymentId { get; init; }
    public short State { get; init; } = Active;
    public required string Model { get; init; }
    public string[] EngineArgs { get; init; } = [];
    public required string GpuType { get; init; }
    public int GpuCount { get; init; }
    public string ModelProfile { get; init; } = "{}";
    public string Sizing { get; init; } = "{}";
    public int Replicas { get; init; }
    public int MinReplicas { get; init; }
    public int MaxReplicas { get; init; }
    public int MaxSurge { get; init; } = 1;
    public short SpotMode { get; init; }
    public int OnDemandBase { get; init; }
    public string[] PlacementInfra { get; init; } = [];
    public bool PlacementSpread { get; init; }
    public required string Provisioner { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>One row of `deployment_events`.</summary>
internal sealed record DeploymentEventRow
{
    public long Id { get; init; }
    public required string DeploymentId { get; init; }
    public DateTime Time { get; init; }
    public required string Kind { get; init; }
    public string Reason { get; init; } = "";
    public string Detail { get; init; } = "{}";
}

/// <summary>Replica counts of one deployment, for its view.</summary>
internal sealed record ReplicaCounts(string DeploymentId, int Ready, int Pending);
