using System.Diagnostics.Metrics;
using CrossLogic.ControlPlane.Store;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// Keeps the routes other control-plane replicas publish in this replica's routing table, so its gateway routes to
/// every node whichever replica holds the node's stream. One dedicated connection LISTENs for changes (a node leaving
/// another replica's routing leaves this one's within milliseconds) and rereads every route each refresh interval; a
/// route its holder stopped refreshing is not read again. While the database cannot be read, the routes read last are
/// kept for the stale grace (passive health guards them meanwhile), then dropped, as API keys are.
/// </summary>
internal sealed class PeerRouteFollower(
    RoutingTable routing,
    Hosting.ControlPlaneInstance instance,
    IOptions<StoreOptions> store,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    IMeterFactory meters,
    ILogger<PeerRouteFollower> logger) : BackgroundService
{
    private readonly ObservableGauge<long> _peerRoutes = meters.Create(Observability.ControlPlaneMetrics.MeterName)
        .CreateObservableGauge("crosslogic.gateway.peer_routes", () => (long)routing.PeerCount, description: "Routes to nodes whose streams other control-plane replicas hold, followed by this one.");
    private readonly string _connectionString = ListenerConnections.For(store.Value.ConnectionString);

    private readonly TimeSpan _refresh = TimeSpan.FromSeconds(options.Value.PeerRouteRefreshSeconds);
    private readonly TimeSpan _staleGrace = TimeSpan.FromSeconds(options.Value.PeerRouteStaleGraceSeconds);
    private long _lastRead;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ListenerConnections.KeepListeningAsync(
        FollowAsync,
        ex => GatewayLog.PeerRoutesUnreadable(logger, ex),
        () => GatewayLog.PeerRoutesFollowed(logger, routing.PeerCount),
        DropIfStale,
        time,
        stoppingToken);

    /// <summary>After a failed attempt: the routes read last go once the database has been unreadable for the grace.</summary>
    private void DropIfStale()
    {
        var unread = _lastRead == 0 ? TimeSpan.MaxValue : time.GetElapsedTime(_lastRead);
        if (unread > _staleGrace && routing.PeerCount is > 0 and var dropped)
        {
            routing.ReplacePeers([]);
            GatewayLog.PeerRoutesDropped(logger, dropped, (int)_staleGrace.TotalSeconds);
        }
    }

    /// <summary>Until the connection fails: a full read, then changes as they are announced, and a full read each interval.</summary>
    private async Task FollowAsync(Action listening, CancellationToken stoppingToken)
    {
        var announced = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(_connectionString);
        connection.Notification += (_, e) => announced.Add(e.Payload);
        await connection.OpenAsync(stoppingToken).ConfigureAwait(false);
        await using (var listen = new NpgsqlCommand($"LISTEN {RouteStore.Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
        }

        // Listening before the first read: a change committed between the two is read twice, never missed.
        routing.ReplacePeers(await RouteStore.ReadPeersAsync(connection, instance.Id, stoppingToken).ConfigureAwait(false));
        _lastRead = time.GetTimestamp();
        var nextRead = _lastRead + Ticks(_refresh);
        listening();
        while (true)
        {
            // Notifications arrive on this connection only while it waits or runs a command, both on this loop: the
            // set needs no lock.
            if (announced.Count > 0)
            {
                string[] nodeIds = [.. announced];
                announced.Clear();
                foreach (var route in await RouteStore.ReadAsync(connection, nodeIds, instance.Id, stoppingToken).ConfigureAwait(false))
                {
                    routing.ApplyPeer(route);
                }

                _lastRead = time.GetTimestamp();
                continue;
            }

            // Npgsql waits in whole milliseconds, and 0 means forever: under one is due now.
            var wait = time.GetElapsedTime(time.GetTimestamp(), nextRead);
            if (wait < TimeSpan.FromMilliseconds(1))
            {
                routing.ReplacePeers(await RouteStore.ReadPeersAsync(connection, instance.Id, stoppingToken).ConfigureAwait(false));
                _lastRead = time.GetTimestamp();
                nextRead = _lastRead + Ticks(_refresh);
                continue;
            }

            await connection.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
