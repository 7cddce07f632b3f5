namespace CrossLogic.Agent.Preemption;

/// <summary>What a metadata service announced.</summary>
internal enum NoticeKind
{
    /// <summary>The machine goes at <see cref="CloudNotice.Deadline"/>: drain before it.</summary>
    Preemption,

    /// <summary>An elevated risk of interruption.</summary>
    Rebalance,

    /// <summary>Host maintenance that does not take the machine away.</summary>
    Maintenance,
}

/// <summary>One notice from a cloud. <see cref="EventId"/> identifies it: the same notice seen twice is raised once.</summary>
internal sealed record CloudNotice(string Cloud, NoticeKind Kind, string Action, DateTimeOffset Deadline, string EventId);

/// <summary>Where watchers report: notices, and problems with the metadata service (never taken for a notice).</summary>
internal interface INoticeSink
{
    void Notice(CloudNotice notice);

    /// <summary>The service answered wrongly, slowly or not at all; <paramref name="reason"/> says how.</summary>
    void Unavailable(string cloud, string reason);

    /// <summary>The service answers well again.</summary>
    void Available(string cloud);
}

/// <summary>One cloud's metadata protocol.</summary>
internal interface IMetadataWatcher
{
    string Cloud { get; }

    /// <summary>True when this cloud's metadata service answers here (with <paramref name="timeout"/>).</summary>
    Task<bool> DetectAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Watches until cancelled, reporting to <paramref name="sink"/>; never throws for a bad answer.</summary>
    Task WatchAsync(INoticeSink sink, CancellationToken cancellationToken);

    /// <summary>Tells the cloud the machine is drained and it may proceed (Azure's StartRequests); a no-op elsewhere.</summary>
    Task AcknowledgeAsync(CloudNotice notice, CancellationToken cancellationToken);
}
