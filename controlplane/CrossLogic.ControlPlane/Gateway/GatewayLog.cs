namespace CrossLogic.ControlPlane.Gateway;

/// <summary>Gateway log messages, event ids 1200-1299. Keys appear only by their lookup id, never whole.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(1200, LogLevel.Warning, "API key {KeyId} served from cache: the database is unreachable ({Reason})")]
    public static partial void KeyServedStale(ILogger logger, string keyId, string reason);

    [LoggerMessage(1201, LogLevel.Error, "API key {KeyId} could not be checked: the database is unreachable")]
    public static partial void KeyLookupFailed(ILogger logger, Exception exception, string keyId);

    [LoggerMessage(1202, LogLevel.Information, "Request {RequestId}: could not connect to node {NodeId}; retrying on another replica")]
    public static partial void RetryingOnAnotherReplica(ILogger logger, string requestId, string nodeId);

    [LoggerMessage(1203, LogLevel.Warning, "Node {NodeId} taken out of rotation for {Seconds} s after {Failures} consecutive failures (last: {LastFailure})")]
    public static partial void ReplicaEjected(ILogger logger, string nodeId, int failures, string lastFailure, double seconds);

    [LoggerMessage(1204, LogLevel.Warning, "Could not record a gateway event of node {NodeId}")]
    public static partial void EventNotRecorded(ILogger logger, Exception exception, string nodeId);

    [LoggerMessage(1205, LogLevel.Warning, "Writing {Count} usage rows failed (attempt {Attempt}); retrying")]
    public static partial void UsageWriteFailed(ILogger logger, Exception exception, int count, int attempt);

    [LoggerMessage(1206, LogLevel.Information, "Wrote {Count} usage rows after {Attempt} attempts")]
    public static partial void UsageWriteRecovered(ILogger logger, int count, int attempt);

    [LoggerMessage(1207, LogLevel.Error, "Shutting down with the database unreachable: {Count} usage rows not written")]
    public static partial void UsageLostAtShutdown(ILogger logger, Exception exception, int count);

    [LoggerMessage(1208, LogLevel.Error, "Usage buffer full ({Limit} rows, database unreachable): dropped the {Dropped} oldest rows")]
    public static partial void UsageDropped(ILogger logger, long dropped, int limit);

    [LoggerMessage(1209, LogLevel.Information, "API key {KeyId} of tenant {Tenant} {Action}")]
    public static partial void KeyChanged(ILogger logger, string keyId, string tenant, string action);

    [LoggerMessage(1210, LogLevel.Warning, "Could not publish the routes of the streams this replica holds (the other replicas drop them after {TtlSeconds} s without a refresh)")]
    public static partial void RoutesNotPublished(ILogger logger, Exception exception, int ttlSeconds);

    [LoggerMessage(1211, LogLevel.Information, "Publishing routes again")]
    public static partial void RoutesPublishedAgain(ILogger logger);

    [LoggerMessage(1212, LogLevel.Warning, "Cannot read the routes other control-plane replicas publish; routing to their nodes as last read, for the stale grace")]
    public static partial void PeerRoutesUnreadable(ILogger logger, Exception exception);

    [LoggerMessage(1213, LogLevel.Information, "Following the routes other control-plane replicas publish ({Count} now)")]
    public static partial void PeerRoutesFollowed(ILogger logger, int count);

    [LoggerMessage(1214, LogLevel.Error, "Dropped {Count} routes to nodes other control-plane replicas hold: the database has been unreadable for longer than {GraceSeconds} s")]
    public static partial void PeerRoutesDropped(ILogger logger, int count, int graceSeconds);

    [LoggerMessage(1215, LogLevel.Warning, "Cannot share API keys' use with the other control-plane replicas: each enforces rate limits on its own until the database is back")]
    public static partial void KeyUseNotShared(ILogger logger, Exception exception);

    [LoggerMessage(1216, LogLevel.Information, "Sharing API keys' use with the other control-plane replicas again")]
    public static partial void KeyUseSharedAgain(ILogger logger);

    [LoggerMessage(1217, LogLevel.Warning, "A batch of {Count} usage rows repeats request ids already stored; writing it again without them")]
    public static partial void UsageRowsSeenBefore(ILogger logger, int count);
}
