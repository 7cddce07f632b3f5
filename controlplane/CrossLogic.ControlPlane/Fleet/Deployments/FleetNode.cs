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
    public long LeaseEpoch { get; init; }
    public string ProbeEndpoint { get; init; } = "";
    public DateTime? LastSeen { get; init; }
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
    string LabelsJson)
{
    /// <summary>A node to launch on <paramref name="offer"/>: a fresh cluster name (also its id), the hash of its
    /// derived token, and labels saying who launched it. One place for the reconciler and single-node launches.</summary>
    public static NewFleetNode ForOffer(
        Offers.Offer offer, string? deploymentId, string provisioner, string gpuType, int gpuCount, string model, string[] engineArgs, NodeTokens tokens)
    {
        var nodeId = Provisioning.ClusterNames.New(offer.Cloud.Length > 0 ? offer.Cloud : "sky", offer.Region, gpuType, gpuCount, offer.Spot);
        var labels = new Dictionary<string, string> { ["provisioner"] = provisioner };
        if (deploymentId is not null)
        {
            labels["deployment"] = deploymentId;
        }

        return new NewFleetNode(
            nodeId, deploymentId, provisioner, offer.Cloud, offer.Region, offer.Spot, offer.PricePerHour, gpuType, gpuCount, model, engineArgs,
            Auth.TokenHasher.Hash(tokens.For(nodeId)), System.Text.Json.JsonSerializer.Serialize(labels));
    }
}

/// <summary>A recent failed launch: which offer to avoid for a while.</summary>
internal sealed record LaunchFailure(string Provisioner, string Cloud, string Region, bool Spot, string GpuType, int GpuCount, string FailureKind, DateTime UpdatedAt);
