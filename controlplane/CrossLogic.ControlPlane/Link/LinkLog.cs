namespace CrossLogic.ControlPlane.Link;

/// <summary>Link log messages, event ids 1000-1099.</summary>
internal static partial class LinkLog
{
    [LoggerMessage(1000, LogLevel.Information, "Node {NodeId} attached with lease epoch {LeaseEpoch} (agent {AgentVersion})")]
    public static partial void Attached(ILogger logger, string nodeId, long leaseEpoch, string agentVersion);

    [LoggerMessage(1001, LogLevel.Information, "Node {NodeId} detached (epoch {LeaseEpoch}): {Reason}")]
    public static partial void Detached(ILogger logger, string nodeId, long leaseEpoch, string reason);

    [LoggerMessage(1002, LogLevel.Error, "Could not record the detach of node {NodeId} (epoch {LeaseEpoch}); the next attach supersedes it")]
    public static partial void DetachNotRecorded(ILogger logger, Exception exception, string nodeId, long leaseEpoch);

    [LoggerMessage(1004, LogLevel.Information, "Node {NodeId}: {From} -> {To} ({Reason})")]
    public static partial void StateChanged(ILogger logger, string nodeId, Contracts.V1.Node.Types.State from, Contracts.V1.Node.Types.State to, string reason);

    [LoggerMessage(1005, LogLevel.Information, "Node {NodeId} acknowledged command {CommandId}: ok {Ok} {Error}")]
    public static partial void CommandAcknowledged(ILogger logger, string nodeId, string commandId, bool ok, string error);

    [LoggerMessage(1006, LogLevel.Warning, "Could not record node {NodeId} becoming {State}; retrying on the next heartbeat")]
    public static partial void TransitionNotRecorded(ILogger logger, Exception exception, string nodeId, Contracts.V1.Node.Types.State state);

    [LoggerMessage(1007, LogLevel.Warning, "Node {NodeId} will be preempted: out of routing, told to drain within {Left}")]
    public static partial void PreemptionDrain(ILogger logger, string nodeId, TimeSpan left);

    [LoggerMessage(1003, LogLevel.Warning, "Heartbeat flush of {Count} nodes failed; retrying next interval")]
    public static partial void FlushFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(1010, LogLevel.Warning, "Node {NodeId} attached again (lease epoch {LeaseEpoch}) after it was declared {State}: fenced, told to shut down")]
    public static partial void Fenced(ILogger logger, string nodeId, long leaseEpoch, string state);

    [LoggerMessage(1011, LogLevel.Warning, "Events of node {NodeId} wait unacknowledged: the database did not take them; retrying at every heartbeat")]
    public static partial void EventsWaiting(ILogger logger, Exception exception, string nodeId);

    [LoggerMessage(1012, LogLevel.Information, "Node {NodeId}: state {State} not recorded, a newer session or a fence owns the node")]
    public static partial void TransitionFenced(ILogger logger, string nodeId, Contracts.V1.Node.Types.State state);

    [LoggerMessage(1013, LogLevel.Warning, "Cannot listen for commands other control-plane replicas relay to the agents this one holds; retrying")]
    public static partial void RelayUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(1014, LogLevel.Information, "Listening again for commands relayed by other control-plane replicas")]
    public static partial void RelayListening(ILogger logger);

    [LoggerMessage(1015, LogLevel.Warning, "Relayed command {CommandId} for node {NodeId}: its outcome was not recorded")]
    public static partial void RelayNotRecorded(ILogger logger, Exception exception, string commandId, string nodeId);
}
