using CrossLogic.ControlPlane.Fleet.Deployments;
using CrossLogic.ControlPlane.Fleet.Offers;
using CrossLogic.ControlPlane.Fleet.Provisioning;
using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Fleet.Outbox;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet.Reconcile;

/// <summary>
/// Keeps every deployment at its replica count. Runs on every replica, acts only while holding the
/// <see cref="ReconcilerLease"/>. Each pass plans each deployment (<see cref="DeploymentPlanner"/>) and records each
/// decision with its side effect in one transaction (node row + outbox item), so the outbox worker — here or on
/// another replica — carries it out exactly once. Less often it compares each provider's clusters with the database:
/// orphans (`cic-` clusters no node holds) are torn down after a grace period, ghosts (nodes whose machine the
/// provider no longer has, or has stopped) become LOST and are replaced.
/// </summary>
internal sealed class Reconciler(
    ReconcilerLease lease,
    ReconcileSignal signal,
    DeploymentStore deployments,
    FleetNodeStore nodes,
    OutboxStore outbox,
    OfferSource offers,
    ProvisionerRegistry provisioners,
    NodeTokens nodeTokens,
    Health.UnreachableNodeResolver health,
    IOptions<FleetOptions> options,
    TimeProvider timeProvider,
    ILogger<Reconciler> logger) : BackgroundService
{
    private readonly Dictionary<string, string> _lastNoOffer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _firstSeenOrphans = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _misses = new(StringComparer.Ordinal);
    private DateTimeOffset _lastCloudSync = DateTimeOffset.MinValue;

    /// <summary>True while this replica leads (for tests and the fleet summary).</summary>
    public bool IsLeader => lease.IsHeld;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = TimeSpan.FromMilliseconds(o.LeaderPollMs);
            try
            {
                var wasLeader = lease.IsHeld;
                if (await lease.TryAcquireAsync(stoppingToken).ConfigureAwait(false))
                {
                    if (!wasLeader)
                    {
                        FleetLog.BecameLeader(logger);
                        health.BecameLeader();
                    }

                    // Verdicts first, so this pass already replaces what they retire.
                    await health.ResolveAsync(stoppingToken).ConfigureAwait(false);
                    await ReconcileAllAsync(stoppingToken).ConfigureAwait(false);
                    await SyncCloudsIfDueAsync(stoppingToken).ConfigureAwait(false);
                    wait = TimeSpan.FromMilliseconds(o.ReconcileIntervalMs);
                }
                else if (wasLeader)
                {
                    FleetLog.LostLeadership(logger, null);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                FleetLog.ReconcileFailed(logger, ex);
                wait = TimeSpan.FromMilliseconds(Math.Max(o.LeaderPollMs, 1000));
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                await signal.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await lease.ReleaseAsync().ConfigureAwait(false);
    }

    private async Task ReconcileAllAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = timeProvider.GetUtcNow().UtcDateTime;
        var backoff = new DeploymentPlanner.Backoff(
            TimeSpan.FromSeconds(o.CapacityBackoffSeconds), TimeSpan.FromSeconds(o.QuotaBackoffSeconds), TimeSpan.FromSeconds(o.StartupTimeoutSeconds));
        var window = now - TimeSpan.FromSeconds(Math.Max(o.CapacityBackoffSeconds, o.QuotaBackoffSeconds));
        foreach (var deployment in await deployments.ListLiveAsync(cancellationToken).ConfigureAwait(false))
        {
            var held = await nodes.HoldingMachinesAsync(deployment.DeploymentId, cancellationToken).ConfigureAwait(false);
            // Failures are read after the nodes: a launch that failed in between is then both out of the count and in
            // back-off, never out of the count with its offer still looking good.
            var failures = await nodes.RecentFailuresAsync(window, cancellationToken).ConfigureAwait(false);
            var available = offers.For(deployment.Provisioner, deployment.GpuType, deployment.GpuCount, deployment.PlacementInfra);
            foreach (var action in DeploymentPlanner.Plan(deployment, held, available, failures, now, backoff))
            {
                await ApplyAsync(deployment, action, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ApplyAsync(DeploymentRow deployment, PlanAction action, CancellationToken cancellationToken)
    {
        // A leader whose session died mid-pass (the lock is someone else's now) must not act on its stale plan.
        if (!await lease.ConfirmAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("reconciler leadership lost during a pass");
        }

        switch (action)
        {
            case LaunchReplica launch:
                _lastNoOffer.Remove(deployment.DeploymentId);
                var node = NewFleetNode.ForOffer(
                    launch.Offer, deployment.DeploymentId, deployment.Provisioner, deployment.GpuType, deployment.GpuCount, deployment.Model, deployment.EngineArgs, nodeTokens);
                await nodes.CreateLaunchAsync(node, launch.Reason, cancellationToken).ConfigureAwait(false);
                FleetLog.Decision(logger, deployment.DeploymentId, "LAUNCH " + node.NodeId, launch.Reason);
                break;
            case RetireNode retire:
                await nodes.RetireAsync(retire.NodeId, retire.Reason, TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds), retire.Force, cancellationToken).ConfigureAwait(false);
                FleetLog.Decision(logger, deployment.DeploymentId, "RETIRE " + retire.NodeId, retire.Reason);
                break;
            case NoOffer none:
                // Recorded once per reason, not on every pass.
                if (_lastNoOffer.GetValueOrDefault(deployment.DeploymentId) != none.Reason)
                {
                    _lastNoOffer[deployment.DeploymentId] = none.Reason;
                    await deployments.AppendEventAsync(deployment.DeploymentId, "NO_OFFER", none.Reason, "{}", cancellationToken).ConfigureAwait(false);
                    FleetLog.Decision(logger, deployment.DeploymentId, "NO_OFFER", none.Reason);
                }

                break;
            case FinishDelete:
                await deployments.FinishDeleteAsync(deployment.DeploymentId, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task SyncCloudsIfDueAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (now - _lastCloudSync < TimeSpan.FromMilliseconds(options.Value.CloudSyncIntervalMs))
        {
            return;
        }

        _lastCloudSync = now;
        foreach (var provisioner in provisioners.All)
        {
            try
            {
                await SyncAsync(provisioner, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ProvisionException or IOException or Npgsql.NpgsqlException or TimeoutException)
            {
                FleetLog.CloudSyncFailed(logger, ex, provisioner.Name);
            }
        }
    }

    private async Task SyncAsync(INodeProvisioner provisioner, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Ghosts: nodes read before the listing, so a node launched after the listing is not in `launched`. Orphans:
        // held names read after it, since a cluster exists only after its node row was committed.
        var launched = await nodes.LaunchedAsync(provisioner.Name, cancellationToken).ConfigureAwait(false);
        var clusters = (await provisioner.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.ClusterName, StringComparer.Ordinal);
        var held = await nodes.HeldClusterNamesAsync(provisioner.Name, cancellationToken).ConfigureAwait(false);
        var grace = TimeSpan.FromSeconds(options.Value.OrphanGraceSeconds);

        foreach (var cluster in clusters.Values.Where(c => ClusterNames.IsOurs(c.ClusterName) && !held.Contains(c.ClusterName)))
        {
            var since = cluster.LaunchedAt ?? (_firstSeenOrphans.TryGetValue(cluster.ClusterName, out var seen) ? seen : _firstSeenOrphans[cluster.ClusterName] = now);
            if (now - since >= grace && !await outbox.PendingAsync(cluster.ClusterName, cancellationToken).ConfigureAwait(false)
                && await outbox.QueueOrphanTeardownAsync(cluster.ClusterName, provisioner.Name, cancellationToken).ConfigureAwait(false))
            {
                FleetLog.Decision(logger, "-", "ORPHAN " + cluster.ClusterName, $"{provisioner.Name} has it, no node holds it, up since {since:u}: tearing it down");
            }
        }

        foreach (var known in _firstSeenOrphans.Keys.Where(k => !clusters.ContainsKey(k)).ToList())
        {
            _firstSeenOrphans.Remove(known);
        }

        // One listing is not enough to call a machine gone (a provider's hiccup must not take the fleet down): a node is
        // LOST after two listings in a row without its machine, and never when most of the fleet vanished at once.
        var missing = new List<(FleetNode Node, string Reason)>();
        foreach (var node in launched)
        {
            var reason = !clusters.TryGetValue(node.ClusterName!, out var cluster) ? $"{provisioner.Name} no longer knows cluster {node.ClusterName}"
                : cluster.State == ClusterState.Stopped ? $"{provisioner.Name} reports cluster {node.ClusterName} stopped{(node.Spot ? " (spot reclaimed)" : "")}"
                : null;
            // A node whose agent still beats is alive whatever a listing says; the health decider asks again if it falls silent.
            if (reason is not null && node.Connected && node.LastSeen is { } seen && now.UtcDateTime - seen < TimeSpan.FromSeconds(30))
            {
                reason = null;
            }
            if (reason is null)
            {
                _misses.Remove(node.NodeId);
            }
            else
            {
                _misses[node.NodeId] = _misses.GetValueOrDefault(node.NodeId) + 1;
                missing.Add((node, reason));
            }
        }

        if (launched.Count >= 4 && missing.Count * 2 > launched.Count)
        {
            FleetLog.MassDisappearance(logger, provisioner.Name, missing.Count, launched.Count);
            return;
        }

        foreach (var (node, reason) in missing.Where(m => _misses[m.Node.NodeId] >= 2))
        {
            _misses.Remove(node.NodeId);
            await nodes.MarkLostAsync(node.NodeId, reason, cancellationToken).ConfigureAwait(false);
            FleetLog.Decision(logger, node.DeploymentId ?? "-", "LOST " + node.NodeId, reason);
        }
    }
}
