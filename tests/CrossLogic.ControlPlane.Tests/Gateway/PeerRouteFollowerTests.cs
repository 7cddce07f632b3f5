using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Hosting;
using CrossLogic.ControlPlane.Store;
using CrossLogic.ControlPlane.Tests.Store;
using CrossLogic.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Tests.Gateway;

/// <summary>
/// The follower against a real PostgreSQL that goes away: changes arrive by NOTIFY, well before the next reread; while
/// the database is down the routes read last are kept for the stale grace, then dropped; they come back with it.
/// </summary>
public sealed class PeerRouteFollowerTests : IAsyncLifetime
{
    private const string Other = "other-replica";
    private MigratedPostgres _database = null!;
    private RouteStore _routes = null!;

    public async Task InitializeAsync()
    {
        _database = await MigratedPostgres.StartAsync("n1", "n2");
        _routes = new RouteStore(_database.DataSource);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Changes_arrive_at_once_and_a_database_outage_keeps_the_last_routes_for_the_grace_only()
    {
        await Publish("n1", routable: true, notify: false);
        var table = new RoutingTable(TimeProvider.System);
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var follower = new PeerRouteFollower(
            table,
            new ControlPlaneInstance(),
            Options.Create(new StoreOptions { ConnectionString = _database.ConnectionString }),
            Options.Create(new GatewayOptions { EngineKeySecret = new string('s', 32), PeerRouteRefreshSeconds = 30, PeerRouteTtlSeconds = 600, PeerRouteStaleGraceSeconds = 3 }),
            TimeProvider.System,
            metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            NullLogger<PeerRouteFollower>.Instance);
        await follower.StartAsync(default);
        try
        {
            await Eventually.TrueAsync(() => Routed() == "n1", TimeSpan.FromSeconds(10), "the first read");

            // The next reread is 30 s away: only the notification can bring these.
            await Publish("n2", routable: true, notify: true);
            await Eventually.TrueAsync(() => Routed() == "n1,n2", TimeSpan.FromSeconds(2), "n2 announced");
            await Publish("n1", routable: false, notify: true);
            await Eventually.TrueAsync(() => Routed() == "n2", TimeSpan.FromSeconds(2), "n1's removal announced");

            // The test server commits asynchronously, and an immediate stop would lose the latest commits with it.
            await using (var checkpoint = _database.DataSource.CreateCommand("CHECKPOINT"))
            {
                await checkpoint.ExecuteNonQueryAsync();
            }

            await _database.Server.StopServerAsync();
            await Task.Delay(1_500);
            Assert.Equal("n2", Routed());
            await Eventually.TrueAsync(() => Routed() == "", TimeSpan.FromSeconds(15), "dropped after the grace");

            await _database.Server.StartServerAsync();
            await Eventually.TrueAsync(() => Routed() == "n2", TimeSpan.FromSeconds(15), "read again");
        }
        finally
        {
            await follower.StopAsync(default);
        }

        string Routed() => string.Join(",", table.ReplicasOf("m").Select(r => r.NodeId));
    }

    private Task<int> Publish(string nodeId, bool routable, bool notify) => _routes.PublishAsync(
        [new PublishedRoute { NodeId = nodeId, LeaseEpoch = 1, Routable = routable, Model = "m", EngineEndpoint = "http://10.0.0.1:8000/" }],
        Other,
        TimeSpan.FromMinutes(10),
        notify,
        default);
}
