using System.Globalization;
using CrossLogic.Agent.Engine;
using CrossLogic.Agent.Link;
using CrossLogic.Contracts.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Preemption;

/// <summary>
/// Watches the cloud's metadata service (configured, or detected with short timeouts) and turns what it announces into
/// link events at once: PREEMPTION_NOTICE with the deadline, REBALANCE_RECOMMENDATION, MAINTENANCE_EVENT, and
/// METADATA_UNAVAILABLE once per outage. On a preemption it drains the engine before the deadline: at once when the
/// control plane is unreachable, else after giving the control plane's own drain command a moment; then it
/// acknowledges the event where the cloud wants that (Azure).
/// </summary>
internal sealed partial class PreemptionMonitor(
    PreemptionOptions options,
    EngineOptions engineOptions,
    EngineSupervisor engine,
    EngineMonitor engineState,
    LinkState link,
    OutboundEventQueue events,
    TimeProvider timeProvider,
    ILogger<PreemptionMonitor> logger) : BackgroundService, INoticeSink
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _seen = [];
    private readonly List<Task> _handling = [];
    private IMetadataWatcher? _watcher;
    private bool _unavailable;
    private string? _lastReason;
    private CancellationToken _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var watchers = Watchers();
        if (watchers.Count == 0)
        {
            PreemptionLog.Off(logger);
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                _watcher = await ChooseAsync(watchers, stoppingToken).ConfigureAwait(false);
                if (_watcher is not null)
                {
                    PreemptionLog.Watching(logger, _watcher.Cloud);
                    await _watcher.WatchAsync(this, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                Unavailable(options.Cloud, "no cloud metadata service answered: preemption notices are off until one does");
                await Task.Delay(TimeSpan.FromSeconds(60), timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var watcher in watchers.OfType<IDisposable>())
            {
                watcher.Dispose();
            }
        }
    }

    public void Notice(CloudNotice notice)
    {
        lock (_lock)
        {
            if (!_seen.Add(notice.Kind + "/" + notice.EventId))
            {
                return;
            }
        }

        var detail = new Dictionary<string, string>
        {
            ["cloud"] = notice.Cloud,
            ["action"] = notice.Action,
            ["deadline"] = notice.Deadline.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["event_id"] = notice.EventId,
        };
        var (kind, message) = notice.Kind switch
        {
            NoticeKind.Preemption => (NodeEvent.Types.Kind.PreemptionNotice, $"{notice.Cloud}: {notice.Action} at {detail["deadline"]}"),
            NoticeKind.Rebalance => (NodeEvent.Types.Kind.RebalanceRecommendation, $"{notice.Cloud}: interruption risk is elevated"),
            _ => (NodeEvent.Types.Kind.MaintenanceEvent, $"{notice.Cloud}: {notice.Action}"),
        };
        events.TryEnqueue(kind, message, detail);
        PreemptionLog.Notice(logger, notice.Cloud, notice.Kind, notice.Action, notice.Deadline);
        if (notice.Kind == NoticeKind.Preemption && _watcher is { } watcher)
        {
            lock (_lock)
            {
                _handling.Add(Task.Run(() => DrainAndAcknowledgeAsync(notice, watcher, _stopping), CancellationToken.None));
            }
        }
    }

    public void Unavailable(string cloud, string reason)
    {
        bool first;
        lock (_lock)
        {
            // One event per outage; a log line whenever the way it fails changes.
            if (_unavailable && reason == _lastReason)
            {
                return;
            }

            first = !_unavailable;
            _unavailable = true;
            _lastReason = reason;
        }

        PreemptionLog.Unavailable(logger, cloud, reason);
        if (!first)
        {
            return;
        }

        events.TryEnqueue(NodeEvent.Types.Kind.MetadataUnavailable, $"{cloud} metadata service: {reason}",
            new Dictionary<string, string> { ["cloud"] = cloud, ["reason"] = reason });
    }

    public void Available(string cloud)
    {
        lock (_lock)
        {
            if (!_unavailable)
            {
                return;
            }

            _unavailable = false;
            _lastReason = null;
        }

        PreemptionLog.Recovered(logger, cloud);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Task[] handling;
        lock (_lock)
        {
            handling = [.. _handling];
        }

        await Task.WhenAll(handling).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DrainAndAcknowledgeAsync(CloudNotice notice, IMetadataWatcher watcher, CancellationToken cancellationToken)
    {
        try
        {
            var margin = TimeSpan.FromSeconds(options.DeadlineMarginSeconds);
            if (engineOptions.Enabled)
            {
                // The control plane normally sends the drain (it takes the node out of routing first); without it, or
                // when it is unreachable, the agent drains on its own so running requests finish before the machine goes.
                var waitUntil = timeProvider.GetUtcNow() + TimeSpan.FromMilliseconds(options.SelfDrainAfterMs);
                while (link.IsConnected && engineState.Snapshot().State != EngineStatus.Types.State.Draining
                       && timeProvider.GetUtcNow() < waitUntil && timeProvider.GetUtcNow() < notice.Deadline - margin)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), timeProvider, cancellationToken).ConfigureAwait(false);
                }

                var left = notice.Deadline - timeProvider.GetUtcNow() - margin;
                var commanded = engineState.Snapshot().State == EngineStatus.Types.State.Draining;
                if (!commanded)
                {
                    PreemptionLog.SelfDrain(logger, link.IsConnected ? "no drain command from the control plane" : "control plane unreachable", left);
                }

                // Joins a drain in progress (queued behind it) or runs one; returns once the engine stopped.
                await engine.DrainAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }

            await watcher.AcknowledgeAsync(notice, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (HttpRequestException ex)
        {
            PreemptionLog.AcknowledgeFailed(logger, ex, notice.EventId);
        }
    }

    private List<IMetadataWatcher> Watchers() => options.Cloud switch
    {
        "none" => [],
        "aws" => [new AwsSpotWatcher(options, timeProvider)],
        "gcp" => [new GcpPreemptionWatcher(options, timeProvider)],
        "azure" => [new AzureScheduledEventsWatcher(options, timeProvider)],
        _ => [new AwsSpotWatcher(options, timeProvider), new GcpPreemptionWatcher(options, timeProvider), new AzureScheduledEventsWatcher(options, timeProvider)],
    };

    private async Task<IMetadataWatcher?> ChooseAsync(List<IMetadataWatcher> watchers, CancellationToken cancellationToken)
    {
        if (watchers.Count == 1)
        {
            return watchers[0];
        }

        var timeout = TimeSpan.FromMilliseconds(options.DetectTimeoutMs);
        var answers = await Task.WhenAll(watchers.Select(w => w.DetectAsync(timeout, cancellationToken))).ConfigureAwait(false);
        return watchers.Where((_, i) => answers[i]).FirstOrDefault();
    }

    private static partial class PreemptionLog
    {
        [LoggerMessage(1500, LogLevel.Information, "Preemption watching is off (Preemption:Cloud = none)")]
        public static partial void Off(ILogger logger);

        [LoggerMessage(1501, LogLevel.Information, "Watching the {Cloud} metadata service for preemption")]
        public static partial void Watching(ILogger logger, string cloud);

        [LoggerMessage(1502, LogLevel.Warning, "{Cloud}: {Kind} notice ({Action}), deadline {Deadline:O}")]
        public static partial void Notice(ILogger logger, string cloud, NoticeKind kind, string action, DateTimeOffset deadline);

        [LoggerMessage(1503, LogLevel.Warning, "{Cloud} metadata service unavailable: {Reason}; no notice is inferred from it")]
        public static partial void Unavailable(ILogger logger, string cloud, string reason);

        [LoggerMessage(1504, LogLevel.Information, "{Cloud} metadata service answers again")]
        public static partial void Recovered(ILogger logger, string cloud);

        [LoggerMessage(1505, LogLevel.Warning, "Draining the engine on the agent's own before the preemption ({Reason}); {Left} left")]
        public static partial void SelfDrain(ILogger logger, string reason, TimeSpan left);

        [LoggerMessage(1506, LogLevel.Warning, "Could not acknowledge scheduled event {EventId}; the platform proceeds at its deadline")]
        public static partial void AcknowledgeFailed(ILogger logger, Exception exception, string eventId);
    }
}
