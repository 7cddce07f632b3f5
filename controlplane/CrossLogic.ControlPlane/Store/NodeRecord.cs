namespace CrossLogic.ControlPlane.Store;

/// <summary>One row of `nodes`, as Dapper reads it.</summary>
internal sealed record NodeRecord
{
    public required string NodeId { get; init; }
    public short State { get; init; }
    public bool Connected { get; init; }
    public long LeaseEpoch { get; init; }
    public DateTime? LastSeen { get; init; }
    public long LastHeartbeatSequence { get; init; }
    public string BootId { get; init; } = "";
    public string AgentVersion { get; init; } = "";
    public byte[]? HostFacts { get; init; }
    public byte[]? Gpus { get; init; }
    public string ReportedProbeEndpoint { get; init; } = "";
    public string ProbeEndpoint { get; init; } = "";
    public string Labels { get; init; } = "{}";
    public string StateReason { get; init; } = "";
    public string EngineLogTail { get; init; } = "";
    public string EngineEndpoint { get; init; } = "";
    public string Model { get; init; } = "";
    public string? DeploymentId { get; init; }
    public string? ClusterName { get; init; }
    public string Provisioner { get; init; } = "";
    public string Cloud { get; init; } = "";
    public string Region { get; init; } = "";
    public bool Spot { get; init; }
    public double PricePerHour { get; init; }
    public string GpuType { get; init; } = "";
    public int GpuCount { get; init; }
    public DateTime? RetiringAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>One row of `node_events`.</summary>
internal sealed record NodeEventRow
{
    public long Id { get; init; }
    public required string NodeId { get; init; }
    public DateTime Time { get; init; }
    public required string Kind { get; init; }
    public string Reason { get; init; } = "";
    public string Detail { get; init; } = "{}";
}

/// <summary>What an accepted Hello writes.</summary>
internal sealed record AttachRecord(
    string NodeId,
    string BootId,
    string AgentVersion,
    byte[] HostFacts,
    byte[] Gpus,
    string ReportedProbeEndpoint,
    DateTime Now);

/// <summary>The latest heartbeat of one node, written in a batch.</summary>
internal sealed record HeartbeatRow(string NodeId, long LeaseEpoch, DateTime LastSeen, long Sequence);

/// <summary>An event raised by an agent, identified by its process start and sequence.</summary>
internal sealed record AgentEventRow(string NodeId, DateTime AgentStartTime, long Sequence, DateTime Time, string Kind, string Reason, string DetailJson);

/// <summary>What CreateNode inserts.</summary>
internal sealed record NewNode(string NodeId, short State, byte[] TokenHash, string ProbeEndpoint, string EngineEndpoint, string Model, string LabelsJson);

/// <summary>What an attach decided, and what routing needs to know about the node.</summary>
/// <param name="Retiring">The fleet is taking the node away: it must not be routed to again, even after a reconnect.</param>
/// <param name="ProbeEndpoint">Where the control plane probes the agent: the provisioner's (or operator's) address, never the agent's claim.</param>
/// <param name="Fenced">Declared dead (or unreachable past its grace) or terminated: the agent must shut down and is never routed to.</param>
internal sealed record AttachResult(long LeaseEpoch, short State, string EngineEndpoint, string Model, bool Retiring, string ProbeEndpoint, bool Fenced);
