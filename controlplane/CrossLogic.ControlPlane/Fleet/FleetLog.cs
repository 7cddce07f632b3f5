namespace CrossLogic.ControlPlane.Fleet;

/// <summary>Fleet log messages, event ids 1300-1399. Never a secret: commands are logged without their environment.</summary>
internal static partial class FleetLog
{
    [LoggerMessage(1300, LogLevel.Debug, "sky {Arguments}")]
    public static partial void SkyCommand(ILogger logger, string arguments);

    [LoggerMessage(1301, LogLevel.Information, "sky status output format: {Format}")]
    public static partial void SkyStatusFormat(ILogger logger, string format);

    [LoggerMessage(1302, LogLevel.Warning, "Catalog file {Path} could not be read")]
    public static partial void CatalogUnreadable(ILogger logger, Exception exception, string path);

    [LoggerMessage(1303, LogLevel.Information, "Catalog: {Offers} offers from {Files} files")]
    public static partial void CatalogLoaded(ILogger logger, int offers, int files);

    [LoggerMessage(1310, LogLevel.Information, "This control plane now leads the reconciler")]
    public static partial void BecameLeader(ILogger logger);

    [LoggerMessage(1311, LogLevel.Warning, "Reconciler leadership lost")]
    public static partial void LostLeadership(ILogger logger, Exception? exception);

    [LoggerMessage(1312, LogLevel.Error, "Reconcile pass failed; retrying")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(1313, LogLevel.Information, "Deployment {DeploymentId}: {Kind} {Reason}")]
    public static partial void Decision(ILogger logger, string deploymentId, string kind, string reason);

    [LoggerMessage(1314, LogLevel.Warning, "Cloud sync failed for provisioner {Provisioner}; retrying")]
    public static partial void CloudSyncFailed(ILogger logger, Exception exception, string provisioner);

    [LoggerMessage(1315, LogLevel.Error, "{Provisioner} lists {Missing} of {Launched} launched machines as gone at once: not believed, nothing marked lost; check the provider")]
    public static partial void MassDisappearance(ILogger logger, string provisioner, int missing, int launched);

    [LoggerMessage(1320, LogLevel.Information, "Outbox {Id}: {Kind} {Cluster} (attempt {Attempt})")]
    public static partial void OutboxStarted(ILogger logger, long id, string kind, string cluster, int attempt);

    [LoggerMessage(1321, LogLevel.Information, "Outbox {Id}: {Kind} {Cluster} done")]
    public static partial void OutboxDone(ILogger logger, long id, string kind, string cluster);

    [LoggerMessage(1322, LogLevel.Warning, "Outbox {Id}: {Kind} {Cluster} failed ({Failure}): {Message}")]
    public static partial void OutboxFailed(ILogger logger, long id, string kind, string cluster, string failure, string message);

    [LoggerMessage(1323, LogLevel.Error, "Outbox worker pass failed; retrying")]
    public static partial void OutboxPassFailed(ILogger logger, Exception exception);
}
