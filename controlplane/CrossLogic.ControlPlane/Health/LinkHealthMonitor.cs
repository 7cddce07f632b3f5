using System.Globalization;
using System.Text.Json;
using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Link;
using CrossLogic.ControlPlane.Store;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Health;

/// <summary>
/// Judges the nodes whose streams this replica holds (or held), from two signals: the stream (its end, seen by the
/// session at once; its silence, judged here by the phi-accrual detector) and active probes of the agent's `Probe` RPC
/// at the provisioner's address (scheduled, and every second while the stream says nothing). DESIGN's table:
/// <list type="bullet">
/// <item>stream beating, probe ok: Ready (from the agent's reports).</item>
/// <item>stream silent or closed, probe ok: the agent's link is broken, the node serves. Routed on the probe's word,
/// the disagreement recorded, a silent stream ended so the agent dials again.</item>
/// <item>stream beating, probe failing: the path from the control plane to the node is broken. Still routed; recorded.</item>
/// <item>stream silent or closed, probe failing: Unreachable. Out of routing (it already is), the verdict recorded,
/// the reconciler woken: its leader asks the cloud and replaces the node (<see cref="UnreachableNodeResolver"/>).</item>
/// </list>
/// Routing changes the moment a verdict does: silence takes a node out before any probe is sent.
/// </summary>
internal sealed partial class LinkHealthMonitor(
    LiveNodeRegistry registry,
    RoutingTable routing,
    AgentProber prober,
    NodeStore store,
    LiveTransitions transitions,
    IOptions<HealthOptions> options,
    TimeProvider time,
    Observability.ControlPlaneMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<LinkHealthMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(o.CheckIntervalMs), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Check(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One look at every node: silence by the detector, and the probes that are due.</summary>
    internal void Check(CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return; // streams end because this control plane stops, not because the nodes did
        }

        var o = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var forgetAfter = TimeSpan.FromSeconds(o.ForgetAfterSeconds);
        foreach (var live in registry.All)
        {
            if (live.Forgotten(now, forgetAfter) || live.Fenced && live.StreamDown)
            {
                registry.Forget(live);
                continue;
            }

            if (live.Fenced || live.State is Node.Types.State.Terminated or Node.Types.State.Lost)
            {
                continue;
            }

            // Phi adapts to the node's rhythm; the ceiling bounds how long a very irregular one may stay silent.
            var (phi, since) = live.Suspicion(now);
            if ((phi >= o.PhiThreshold || since.TotalMilliseconds >= o.MaxSilenceMs) && live.MarkSilent())
            {
                routing.Update(live.Route());
                Log.Silent(logger, live.NodeId, phi, since.TotalMilliseconds);
                metrics.HealthSignal("heartbeat_silent");
                Record(live.NodeId, "HEARTBEAT_SILENT", $"no heartbeat for {since.TotalMilliseconds:0} ms (phi {phi:0.#}): out of routing, probing",
                    ("phi", phi.ToString("0.##", CultureInfo.InvariantCulture)), ("silent_ms", since.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)));
            }

            if (live.TryStartProbe(now, TimeSpan.FromMilliseconds(o.ProbeIntervalMs), TimeSpan.FromMilliseconds(o.SuspectProbeIntervalMs)))
            {
                _ = ProbeAsync(live, cancellationToken);
            }
        }
    }

    private async Task ProbeAsync(NodeLiveState live, CancellationToken cancellationToken)
    {
        ProbeOutcome outcome;
        try
        {
            outcome = await prober.ProbeAsync(live.NodeId, live.ProbeEndpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or HttpRequestException)
        {
            outcome = new ProbeOutcome(false, null, ex.Message, TimeSpan.Zero);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var streamDown = live.StreamDown;
        var wasVouched = live.Route().Connected && streamDown;
        var failures = live.Probed(now, outcome.Ok, outcome.Engine);
        if (!registry.IsCurrent(live) || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return;
        }

        metrics.HealthSignal(outcome.Ok ? "probe_ok" : "probe_failed");
        if (outcome.Ok)
        {
            if (streamDown)
            {
                routing.Update(live.Route());
                if (!wasVouched)
                {
                    Log.LinkBroken(logger, live.NodeId);
                    Record(live.NodeId, "LINK_DISAGREEMENT", "the stream says nothing but the probe answers: routed on the probe's word");
                }

                // A stream silent for long is ended, so the agent dials again (a closed one it redials by itself); a
                // merely late one is given the time to catch up.
                if (live.Suspicion(now).Silent >= TimeSpan.FromMilliseconds(options.Value.StreamAbortAfterMs))
                {
                    live.AbortStream();
                }
            }

            if (live.State == Node.Types.State.Unreachable)
            {
                var (state, reason) = NodeStateDeriver.Derive(Node.Types.State.Unreachable, outcome.Engine, []);
                await TransitionAsync(live, state, "the probe answers again: " + (reason.Length > 0 ? reason : "serving"), cancellationToken).ConfigureAwait(false);
                routing.Update(live.Route());
            }

            return;
        }

        if (!streamDown)
        {
            // A node registered without a probe address is judged by its stream alone.
            if (failures == 1 && live.ProbeEndpoint.Length > 0)
            {
                Log.PathBroken(logger, live.NodeId, outcome.Error);
                Record(live.NodeId, "PROBE_FAILED", "the stream beats but the probe fails (control plane → node path): still routed", ("error", outcome.Error));
            }

            return;
        }

        routing.Update(live.Route());
        if (failures >= options.Value.ProbeFailuresBeforeUnreachable && live.State is not Node.Types.State.Unreachable and not Node.Types.State.Draining
            and not Node.Types.State.Failed)
        {
            var stream = live.Snapshot().Connected ? "silent" : "closed";
            Log.Unreachable(logger, live.NodeId, stream, outcome.Error);
            await TransitionAsync(live, Node.Types.State.Unreachable, $"stream {stream} and the probe fails ({outcome.Error})", cancellationToken).ConfigureAwait(false);
            live.AbortStream();
        }
    }

    private async Task TransitionAsync(NodeLiveState live, Node.Types.State to, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await transitions.ApplyAsync(live, to, reason, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: routing already follows the verdict.
        }
    }

    private void Record(string nodeId, string kind, string reason, params (string Key, string Value)[] detail) =>
        _ = RecordAsync(nodeId, kind, reason, JsonSerializer.Serialize(detail.ToDictionary(d => d.Key, d => d.Value)));

    private async Task RecordAsync(string nodeId, string kind, string reason, string detail)
    {
        try
        {
            await store.AppendEventAsync(nodeId, kind, reason, detail, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            Log.EventNotRecorded(logger, ex, nodeId, kind);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2101, LogLevel.Warning, "Node {NodeId}: heartbeats stopped (phi {Phi:0.#} after {SilentMs:0} ms); out of routing, probing")]
        public static partial void Silent(ILogger logger, string nodeId, double phi, double silentMs);

        [LoggerMessage(2102, LogLevel.Warning, "Node {NodeId}: the stream says nothing but the probe answers; routing on probes and asking the agent to reconnect")]
        public static partial void LinkBroken(ILogger logger, string nodeId);

        [LoggerMessage(2103, LogLevel.Warning, "Node {NodeId}: the stream beats but the probe fails ({Error}); still routed")]
        public static partial void PathBroken(ILogger logger, string nodeId, string error);

        [LoggerMessage(2104, LogLevel.Error, "Node {NodeId}: unreachable (stream {Stream}, probe: {Error})")]
        public static partial void Unreachable(ILogger logger, string nodeId, string stream, string error);



        [LoggerMessage(2107, LogLevel.Warning, "Node {NodeId}: event {Kind} not recorded (database unavailable)")]
        public static partial void EventNotRecorded(ILogger logger, Exception exception, string nodeId, string kind);
    }
}
