using System.ComponentModel.DataAnnotations;

namespace CrossLogic.ControlPlane.Link;

/// <summary>How the control plane runs agent links (`Link:*`).</summary>
internal sealed class NodeLinkOptions
{
    /// <summary>Heartbeat interval told to every agent in Welcome, in milliseconds.</summary>
    [Range(100, 60_000)]
    public int HeartbeatIntervalMs { get; set; } = 1_000;

    /// <summary>How often the latest heartbeats are written to PostgreSQL in one batch, in milliseconds.</summary>
    [Range(100, 600_000)]
    public int FlushIntervalMs { get; set; } = 5_000;

    /// <summary>How long an agent has to send Hello after opening the stream, in milliseconds.</summary>
    [Range(100, 60_000)]
    public int HelloTimeoutMs { get; set; } = 10_000;
}
