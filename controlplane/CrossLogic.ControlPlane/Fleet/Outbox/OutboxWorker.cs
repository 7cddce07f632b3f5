using System.Text.Json;
using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Fleet.Deployments;
using CrossLogic.ControlPlane.Fleet.Provisioning;
using CrossLogic.ControlPlane.Fleet.Reconcile;
using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Link;
using CrossLogic.ControlPlane.Store;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet.Outbox;

/// <summary>
/// Carries out launches and teardowns from the outbox, on the replica that leads the reconciler: a provisioner's view
/// (SkyPilot's state, the local provisioner's directory) belongs to one machine, so every call to it is made from one
/// place, and a new leader resumes what the old one left once its claims expire. Launches are idempotent by
/// cluster name (the provisioner finds an existing cluster; the node token is derived, so a relaunch hands out the
/// same one), so an item re-run after a crash never makes a second machine. Capacity, quota, auth and invalid-request
/// failures end the launch (the reconciler picks the next offer); transient ones are retried with back-off. Teardowns
/// drain first and are retried until the provider confirms the machine gone.
/// </summary>
internal sealed class OutboxWorker(
    OutboxStore outbox,
    FleetNodeStore nodes,
    NodeStore nodeStore,
    ProvisionerRegistry provisioners,
    NodeTokens nodeTokens,
    EngineKeys engineKeys,
    LiveNodeRegistry live,
    RoutingTable routing,
    ReconcileSignal reconcile,
    ReconcilerLease lease,
    Hosting.ControlPlaneInstance instance,
    Link.Relay.NodeCommands commands,
    IOptions<FleetOptions> options,
    TimeProvider timeProvider,
    ILogger<OutboxWorker> logger) : BackgroundService
{
    private const int MaxTransientLaunchAttempts = 6;
    private readonly string _owner = instance.Id;
    private readonly Dictionary<long, (Task Work, CancellationTokenSource Cancel)> _running = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var claim = TimeSpan.FromSeconds(o.OutboxClaimSeconds);
        var lastRenew = timeProvider.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var done in _running.Where(r => r.Value.Work.IsCompleted).Select(r => r.Key).ToList())
                {
                    _running[done].Cancel.Dispose();
                    _running.Remove(done);
                }

                if (timeProvider.GetUtcNow() - lastRenew >= claim / 3)
                {
                    lastRenew = timeProvider.GetUtcNow();
                    foreach (var (id, (_, cancel)) in _running)
                    {
                        // Someone else holds the item now (this process stalled past its claim): stop, do not race.
                        if (!await outbox.RenewAsync(id, _owner, claim, stoppingToken).ConfigureAwait(false))
                        {
                            await cancel.CancelAsync().ConfigureAwait(false);
                        }
                    }
                }

                var free = o.OutboxConcurrency - _running.Count;
                if (free > 0 && lease.IsHeld)
                {
                    foreach (var item in await outbox.ClaimAsync(_owner, claim, free, stoppingToken).ConfigureAwait(false))
                    {
                        var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                        _running[item.Id] = (Task.Run(() => RunAsync(item, cancel.Token), CancellationToken.None), cancel);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                FleetLog.OutboxPassFailed(logger, ex);
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(o.LeaderPollMs, 250)), timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Work in flight is abandoned, not settled: its claim expires and a live replica (or this one, restarted) resumes it.
        await Task.WhenAll(_running.Values.Select(r => r.Work.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
    }

    private async Task RunAsync(OutboxItem item, CancellationToken stoppingToken)
    {
        FleetLog.OutboxStarted(logger, item.Id, item.Kind, item.ClusterName, item.Attempts);
        try
        {
            var outcome = item.Kind == OutboxItem.Launch
                ? await LaunchAsync(item, stoppingToken).ConfigureAwait(false)
                : await TeardownAsync(item, stoppingToken).ConfigureAwait(false);
            await outbox.CompleteAsync(item.Id, _owner, outcome, CancellationToken.None).ConfigureAwait(false);
            FleetLog.OutboxDone(logger, item.Id, item.Kind, item.ClusterName);
            reconcile.Poke();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down, or the claim was lost: leave the item to its holder, or to expire.
        }
        catch (Exception ex) when (item.Kind == OutboxItem.Launch && item.NodeId is { } nodeId && item.Attempts >= MaxTransientLaunchAttempts)
        {
            // Whatever keeps failing (a broken template, an agent that exits at once) ends the launch, so the node
            // leaves the count and the reconciler tries again, rather than one replica missing in silence.
            FleetLog.OutboxFailed(logger, item.Id, item.Kind, item.ClusterName, ex.GetType().Name, ex.Message);
            try
            {
                await nodes.FailLaunchAsync(nodeId, "transient", $"gave up after {item.Attempts} attempts: {ex.Message}", CancellationToken.None).ConfigureAwait(false);
                await outbox.CompleteAsync(item.Id, _owner, "failed: " + ex.Message, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception settle) when (settle is Npgsql.NpgsqlException or TimeoutException)
            {
                FleetLog.OutboxPassFailed(logger, settle);
            }
        }
        catch (Exception ex)
        {
            var kind = ex is ProvisionException p ? p.Kind : ex.GetType().Name;
            FleetLog.OutboxFailed(logger, item.Id, item.Kind, item.ClusterName, kind, ex.Message);
            var delay = TimeSpan.FromSeconds(Math.Min(options.Value.OutboxMaxBackoffSeconds, Math.Pow(2, Math.Min(item.Attempts, 16))));
            try
            {
                await outbox.RetryLaterAsync(item.Id, _owner, delay, $"{kind}: {ex.Message}", CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception settle) when (settle is Npgsql.NpgsqlException or TimeoutException)
            {
                FleetLog.OutboxPassFailed(logger, settle);
            }
        }
    }

    private async Task<string> LaunchAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var node = item.NodeId is { } id ? await nodes.GetAsync(id, cancellationToken).ConfigureAwait(false) : null;
        if (node is null || node.RetiringAt is not null || node.ReleasedAt is not null)
        {
            return "cancelled: the node was retired";
        }

        if (node.LaunchedAt is not null)
        {
            // Launched before a crash kept the item open: launching again would rerun the machine's setup.
            return "launched (before a restart)";
        }

        await nodes.StartLaunchAsync(node.NodeId, cancellationToken).ConfigureAwait(false);
        var spec = new LaunchSpec(
            item.ClusterName, node.NodeId, node.Model, node.EngineArgs, node.GpuType, node.GpuCount, node.Cloud, node.Region, node.Spot,
            nodeTokens.For(node.NodeId), engineKeys.For(node.NodeId));
        LaunchedCluster launched;
        try
        {
            launched = await provisioners.Get(item.Provisioner).LaunchAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (ProvisionException ex) when (ex.Failure != ProvisionFailure.Transient || item.Attempts >= MaxTransientLaunchAttempts)
        {
            await nodes.FailLaunchAsync(node.NodeId, ex.Kind, ex.Message, cancellationToken).ConfigureAwait(false);
            return $"failed ({ex.Kind}): {ex.Message}";
        }

        await nodes.CompleteLaunchAsync(node.NodeId, launched, cancellationToken).ConfigureAwait(false);
        // The agent may have attached before the provisioner reported the engine's address: route it now.
        if (live.SessionOf(node.NodeId) is { } session)
        {
            session.ProbeEndpoint = launched.ProbeEndpoint;
            if (session.EngineEndpoint != launched.EngineEndpoint)
            {
                session.EngineEndpoint = launched.EngineEndpoint;
                routing.Update(session.Route());
            }
        }

        return "launched";
    }

    private async Task<string> TeardownAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.Deserialize<TeardownPayload>(item.Payload) ?? new TeardownPayload(true, 0);
        var drained = "";
        if (item.NodeId is { } nodeId)
        {
            drained = payload.Force ? "not drained (forced)" : await DrainAsync(nodeId, TimeSpan.FromSeconds(payload.DrainSeconds), cancellationToken).ConfigureAwait(false);
        }

        await provisioners.Get(item.Provisioner).TeardownAsync(item.ClusterName, cancellationToken).ConfigureAwait(false);
        if (item.NodeId is { } released)
        {
            await nodes.MarkReleasedAsync(released, $"torn down; {drained}".TrimEnd(' ', ';'), cancellationToken).ConfigureAwait(false);
        }

        return "torn down";
    }

    /// <summary>Out of routing at once; then the agent finishes its running requests (through whichever replica holds
    /// its stream), until it reports ENGINE_DRAINED, its stream here ends, or the timeout passes.</summary>
    private async Task<string> DrainAsync(string nodeId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Held here: its stream ending also ends the wait. Held elsewhere: the agent's ENGINE_DRAINED or the timeout.
        var session = live.ChannelOf(nodeId) is not null ? live.SessionOf(nodeId) : null;
        var since = timeProvider.GetUtcNow().UtcDateTime.AddSeconds(-1);
        var commandId = "cmd-" + Guid.NewGuid().ToString("N")[..16];
        try
        {
            await commands.SendAsync(nodeId, commandId, new ControlMessage
            {
                DrainEngine = new DrainEngine { CommandId = commandId, Deadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(timeout) },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Link.Relay.NodeNotConnectedException ex)
        {
            return $"not drained ({ex.Message})";
        }

        var deadline = timeProvider.GetUtcNow() + timeout + TimeSpan.FromSeconds(2);
        while (timeProvider.GetUtcNow() < deadline)
        {
            if (await nodeStore.HasEventSinceAsync(nodeId, "ENGINE_DRAINED", since, cancellationToken).ConfigureAwait(false))
            {
                return "drained";
            }

            if (session is not null && !live.IsCurrent(session))
            {
                return "not drained (stream ended)";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), timeProvider, cancellationToken).ConfigureAwait(false);
        }

        return "drain timed out";
    }
}
