using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Link;

/// <summary>Link log messages, event ids 1000-1099.</summary>
internal static partial class LinkLog
{
    [LoggerMessage(1000, LogLevel.Information, "Dialing control plane {Url} as node {NodeId}")]
    public static partial void Dialing(ILogger logger, string url, string nodeId);

    [LoggerMessage(1001, LogLevel.Information, "Attached to control plane: lease epoch {LeaseEpoch}, heartbeat every {HeartbeatIntervalMs} ms")]
    public static partial void Welcomed(ILogger logger, long leaseEpoch, double heartbeatIntervalMs);

    [LoggerMessage(1002, LogLevel.Warning, "Link to control plane lost ({Reason}); redialing in {DelayMs} ms (attempt {Attempt})")]
    public static partial void LinkLost(ILogger logger, string reason, double delayMs, int attempt);

    [LoggerMessage(1003, LogLevel.Error, "Control plane refused this node's credential ({Detail}); check ControlPlane:Token and NodeId. Redialing in {DelayMs} ms")]
    public static partial void Unauthenticated(ILogger logger, string detail, double delayMs);

    [LoggerMessage(1004, LogLevel.Warning, "No heartbeat acknowledgement for {Missed} intervals; taking the stream as dead")]
    public static partial void AcksMissed(ILogger logger, int missed);

    [LoggerMessage(1005, LogLevel.Warning, "Control plane asked this agent to shut down: {Reason}")]
    public static partial void ShutdownRequested(ILogger logger, string reason);

    [LoggerMessage(1006, LogLevel.Information, "Said goodbye to the control plane")]
    public static partial void SaidGoodbye(ILogger logger);

    [LoggerMessage(1007, LogLevel.Warning, "Event queue full: dropped a {Kind} event")]
    public static partial void EventDropped(ILogger logger, string kind);
}
