using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// Publishes the routes of the streams this replica holds, so that the other replicas' gateways route to these nodes
/// too: each change at once (the other replicas hear of it by NOTIFY within milliseconds), and every route again each
/// refresh interval, with its load, to keep it from expiring. A change that could not be written is written with the
/// next attempt. When this replica stops, its routes are left to expire rather than withdrawn: the engines behind them
/// are as healthy as they were, and their agents attach to another replica meanwhile.
/// </summary>
internal sealed class RoutePublisher(
    RoutingTable routing,
    RouteStore store,
    Hosting.ControlPlaneInstance instance,
    IOptions<GatewayOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<RoutePublisher> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly Channel<RouteChange> _changes = Channel.CreateUnbounded<RouteChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeSpan _refresh = TimeSpan.FromSeconds(options.Value.PeerRouteRefreshSeconds);
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(options.Value.PeerRouteTtlSeconds);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        routing.Changed += OnChanged;
        // Streams that end from here on end because this process stops, not because their nodes went bad.
        lifetime.ApplicationStopping.Register(() => routing.Changed -= OnChanged);
        return base.StartAsync(cancellationToken);
    }

    private void OnChanged(RouteChange change) => _changes.Writer.TryWrite(change);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = new Dictionary<string, long>(StringComparer.Ordinal);
        var nextRefresh = time.GetTimestamp();
        var outage = new Store.OutageReport(ex => GatewayLog.RoutesNotPublished(logger, ex, (int)_ttl.TotalSeconds), () => GatewayLog.RoutesPublishedAgain(logger));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wait = time.GetElapsedTime(time.GetTimestamp(), nextRefresh);
                if (pending.Count == 0 && wait > TimeSpan.Zero)
                {
                    await WaitForChangeAsync(wait, stoppingToken).ConfigureAwait(false);
                }

                while (_changes.Reader.TryRead(out var change))
                {
                    pending[change.NodeId] = Math.Max(change.LeaseEpoch, pending.GetValueOrDefault(change.NodeId));
                }

                if (pending.Count > 0)
                {
                    // The table as it stands now, not as it was at each change: the latest word on every node.
                    await store.PublishAsync([.. pending.Select(p => routing.OwnRoute(p.Key, p.Value))], instance.Id, _ttl, notify: true, stoppingToken).ConfigureAwait(false);
                    pending.Clear();
                }

                if (time.GetTimestamp() >= nextRefresh)
                {
                    nextRefresh = time.GetTimestamp() + (long)(_refresh.TotalSeconds * time.TimestampFrequency);
                    await store.PublishAsync(routing.OwnRoutes(), instance.Id, _ttl, notify: false, stoppingToken).ConfigureAwait(false);
                }

                outage.Succeeded();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                outage.Failed(ex);

                await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WaitForChangeAsync(TimeSpan wait, CancellationToken stoppingToken)
    {
        // A cancelled wait leaves no waiter behind on the channel (it has a single reader).
        using var timeout = new CancellationTokenSource(wait, time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            await _changes.Reader.WaitToReadAsync(waiting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Time to refresh.
        }
    }
}
