using CrossLogic.ControlPlane.Fleet.Deployments;
using CrossLogic.ControlPlane.Fleet.Provisioning;
using CrossLogic.ControlPlane.Link;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Health;

/// <summary>
/// The reconciler leader's half of the health decider: what to do about nodes no stream vouches for. Runs at the start
/// of each reconcile pass, so only the leader asks the cloud and decides replacements.
/// <list type="bullet">
/// <item>A launched node that is serving by the table but has no stream (its replica died, or the control plane
/// restarted) gets a fresh grace from the moment this leader first sees it; then it is probed, and a failing probe
/// makes it Unreachable. A control-plane outage therefore never replaces a node by itself.</item>
/// <item>Unreachable: the cloud is asked (at most once per interval per provisioner). Gone or stopped: Dead — fenced,
/// LOST, replaced at once. Still running: fenced and replaced when its grace ends, and the old machine torn down.</item>
/// <item>Disruption: when most of a provisioner's nodes are unreachable at once the fault is taken to be ours (the
/// control plane's network, a bad deploy); nothing is replaced until it passes, and every grace starts again.</item>
/// </list>
/// </summary>
internal sealed partial class UnreachableNodeResolver(
    FleetNodeStore nodes,
    ProvisionerRegistry provisioners,
    AgentProber prober,
    LiveNodeRegistry registry,
    IOptions<HealthOptions> options,
    TimeProvider time,
    Observability.ControlPlaneMetrics metrics,
    ILogger<UnreachableNodeResolver> logger)
{
    private readonly Dictionary<string, DateTimeOffset> _firstSeen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset At, IReadOnlyDictionary<string, ClusterStatus> Clusters)> _cloud = new(StringComparer.Ordinal);
    private readonly HashSet<string> _disrupted = new(StringComparer.Ordinal);

    /// <summary>A new leader trusts nothing it did not see itself: every grace starts now.</summary>
    public void BecameLeader()
    {
        _firstSeen.Clear();
        _cloud.Clear();
    }

    public async Task ResolveAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var suspects = await nodes.SuspectsAsync(TimeSpan.FromSeconds(o.ReconnectGraceSeconds), cancellationToken).ConfigureAwait(false);
        var ids = suspects.Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _firstSeen.Keys.Where(k => !ids.Contains(k)).ToList())
        {
            _firstSeen.Remove(gone);
        }

        foreach (var group in suspects.GroupBy(n => n.Provisioner, StringComparer.Ordinal))
        {
            var unreachable = group.Count(n => n.State == (short)Contracts.V1.Node.Types.State.Unreachable);
            var fleet = unreachable >= 3 ? Math.Max((await nodes.LaunchedAsync(group.Key, cancellationToken).ConfigureAwait(false)).Count, group.Count()) : 0;
            if (unreachable >= 3 && unreachable >= o.DisruptionFraction * fleet)
            {
                if (_disrupted.Add(group.Key))
                {
                    Log.Disruption(logger, group.Key, unreachable, fleet);
                    metrics.HealthSignal("disruption");
                }

                // Every grace starts again once the disruption is over.
                foreach (var node in group)
                {
                    _firstSeen[node.NodeId] = now;
                }

                continue;
            }

            _disrupted.Remove(group.Key);
            foreach (var node in group)
            {
                var since = _firstSeen.TryGetValue(node.NodeId, out var seen) ? seen : _firstSeen[node.NodeId] = now;
                if (node.State == (short)Contracts.V1.Node.Types.State.Unreachable)
                {
                    await ResolveUnreachableAsync(node, now - since, cancellationToken).ConfigureAwait(false);
                }
                else if (now - since >= TimeSpan.FromSeconds(o.ReconnectGraceSeconds) && registry.SessionOf(node.NodeId) is not { StreamDown: false })
                {
                    await ProbeSilentAsync(node, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>No replica holds the node's stream and it did not come back within its grace: probe it ourselves.</summary>
    private async Task ProbeSilentAsync(FleetNode node, CancellationToken cancellationToken)
    {
        var outcome = await prober.ProbeAsync(node.NodeId, node.ProbeEndpoint, cancellationToken).ConfigureAwait(false);
        if (outcome.Ok)
        {
            return; // Serving without a stream: the agent dials on its own; nothing to replace.
        }

        var reason = $"no stream for {options.Value.ReconnectGraceSeconds} s and the probe fails ({outcome.Error})";
        Log.Unreachable(logger, node.NodeId, reason);
        await nodes.MarkUnreachableAsync(node.NodeId, node.LeaseEpoch, reason, cancellationToken).ConfigureAwait(false);
    }

    private async Task ResolveUnreachableAsync(FleetNode node, TimeSpan unreachableFor, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var cluster = await CloudViewAsync(node.Provisioner, cancellationToken).ConfigureAwait(false) is { } clusters
            ? clusters.GetValueOrDefault(node.ClusterName!)
            : null;
        var known = _cloud.ContainsKey(node.Provisioner);
        if (known && cluster is null or { State: ClusterState.Stopped })
        {
            var why = cluster is null ? $"{node.Provisioner} no longer knows cluster {node.ClusterName}" : $"{node.Provisioner} reports cluster {node.ClusterName} stopped{(node.Spot ? " (spot reclaimed)" : "")}";
            var reason = $"dead: unreachable and {why}";
            if (await nodes.FenceAsync(node.NodeId, node.LeaseEpoch, reason, cancellationToken).ConfigureAwait(false))
            {
                Log.Dead(logger, node.NodeId, why);
                metrics.HealthSignal("dead");
                await nodes.MarkLostAsync(node.NodeId, reason, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var grace = TimeSpan.FromSeconds(o.UnreachableGraceSeconds);
        if (unreachableFor < grace)
        {
            return;
        }

        var view = known ? $"{node.Provisioner} reports it running" : $"{node.Provisioner} could not be asked";
        var replaced = $"unreachable for {unreachableFor.TotalSeconds:0} s while {view}: fenced and replaced, the old machine torn down";
        if (await nodes.FenceAsync(node.NodeId, node.LeaseEpoch, replaced, cancellationToken).ConfigureAwait(false))
        {
            Log.Replaced(logger, node.NodeId, unreachableFor.TotalSeconds, view);
            metrics.HealthSignal("unreachable_replaced");
            registry.SessionOf(node.NodeId)?.Fence();
            await nodes.RetireAsync(node.NodeId, replaced, TimeSpan.Zero, force: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The provisioner's clusters, asked at most once per interval; null when it could not be asked.</summary>
    private async Task<IReadOnlyDictionary<string, ClusterStatus>?> CloudViewAsync(string provisioner, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cloud.TryGetValue(provisioner, out var cached) && now - cached.At < TimeSpan.FromMilliseconds(options.Value.CloudCheckIntervalMs))
        {
            return cached.Clusters;
        }

        if (provisioners.Find(provisioner) is not { } found)
        {
            return null;
        }

        try
        {
            var clusters = (await found.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.ClusterName, StringComparer.Ordinal);
            _cloud[provisioner] = (now, clusters);
            return clusters;
        }
        catch (Exception ex) when (ex is ProvisionException or IOException or TimeoutException)
        {
            Log.CloudUnavailable(logger, ex, provisioner);
            return _cloud.TryGetValue(provisioner, out var stale) ? stale.Clusters : null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2201, LogLevel.Error, "Node {NodeId} is dead: {Why}; fenced and replaced")]
        public static partial void Dead(ILogger logger, string nodeId, string why);

        [LoggerMessage(2202, LogLevel.Error, "Node {NodeId} unreachable for {Seconds:0} s while {View}: fenced and replaced")]
        public static partial void Replaced(ILogger logger, string nodeId, double seconds, string view);

        [LoggerMessage(2203, LogLevel.Warning, "Node {NodeId} is unreachable: {Reason}")]
        public static partial void Unreachable(ILogger logger, string nodeId, string reason);

        [LoggerMessage(2204, LogLevel.Error, "{Unreachable} of {Fleet} nodes of {Provisioner} are unreachable at once: taking the fault to be the control plane's, replacing nobody until it passes")]
        public static partial void Disruption(ILogger logger, string provisioner, int unreachable, int fleet);

        [LoggerMessage(2205, LogLevel.Warning, "Could not ask {Provisioner} about unreachable nodes; deciding on the grace alone")]
        public static partial void CloudUnavailable(ILogger logger, Exception exception, string provisioner);
    }
}
