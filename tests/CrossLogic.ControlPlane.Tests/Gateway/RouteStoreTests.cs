using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Tests.Store;
using Npgsql;

namespace CrossLogic.ControlPlane.Tests.Gateway;

/// <summary>
/// `node_routes` against a real PostgreSQL: a newer lease epoch always wins, whichever replica writes; each replica
/// reads only the others' live routes; a change is announced on the channel at commit.
/// </summary>
public sealed class RouteStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private MigratedPostgres _database = null!;
    private RouteStore _routes = null!;

    public async Task InitializeAsync()
    {
        _database = await MigratedPostgres.StartAsync("n1", "n2", "n3");
        _routes = new RouteStore(_database.DataSource);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_replica_reads_the_live_routes_of_the_others_only()
    {
        await _routes.PublishAsync([Route("n1", 1), Route("n2", 1, routable: false)], "a", Ttl, notify: false, default);
        await _routes.PublishAsync([Route("n3", 1)], "b", Ttl, notify: false, default);

        Assert.Equal(["n3"], (await PeersOfAsync("a")).Select(r => r.NodeId));
        var seenByB = Assert.Single(await PeersOfAsync("b"));
        Assert.Equal(("n1", 1L, "m", "http://10.0.0.1:8000/", 4, 0.25), (seenByB.NodeId, seenByB.LeaseEpoch, seenByB.Model, seenByB.EngineEndpoint, seenByB.Waiting, seenByB.KvCacheUsage));
        Assert.InRange(seenByB.ExpiresInMs, 8_000, 10_000);
    }

    [Fact]
    public async Task A_stale_replica_cannot_undo_the_route_a_newer_session_published()
    {
        await _routes.PublishAsync([Route("n1", 5)], "a", Ttl, notify: false, default);
        // The agent attached to b (epoch 6); a then notices its old stream ended and publishes the node out at epoch 5,
        // and keeps refreshing what it still believes.
        await _routes.PublishAsync([Route("n1", 6)], "b", Ttl, notify: false, default);

        Assert.Equal(0, await _routes.PublishAsync([Route("n1", 5, routable: false)], "a", Ttl, notify: true, default));
        Assert.Equal(0, await _routes.PublishAsync([Route("n1", 5)], "a", Ttl, notify: false, default));

        var route = Assert.Single(await PeersOfAsync("a"));
        Assert.Equal((6L, true), (route.LeaseEpoch, route.Routable));
        // The holder's own word on its epoch does change it.
        Assert.Equal(1, await _routes.PublishAsync([Route("n1", 6, routable: false)], "b", Ttl, notify: false, default));
        Assert.Empty(await PeersOfAsync("a"));
    }

    [Fact]
    public async Task A_route_whose_holder_stops_refreshing_it_expires()
    {
        await _routes.PublishAsync([Route("n1", 1)], "a", TimeSpan.FromMilliseconds(300), notify: false, default);
        Assert.Single(await PeersOfAsync("b"));

        await Task.Delay(500);

        Assert.Empty(await PeersOfAsync("b"));
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        var row = Assert.Single(await RouteStore.ReadAsync(connection, ["n1"], "b", default));
        Assert.False(row.Live);
    }

    [Fact]
    public async Task Rows_of_unknown_nodes_are_skipped_and_the_rest_written()
    {
        Assert.Equal(1, await _routes.PublishAsync([Route("gone", 1), Route("n2", 1)], "a", Ttl, notify: false, default));

        Assert.Equal(["n2"], (await PeersOfAsync("b")).Select(r => r.NodeId));
    }

    [Fact]
    public async Task A_change_is_announced_with_the_node_id_and_a_refresh_is_not()
    {
        await using var listener = await _database.DataSource.OpenConnectionAsync();
        var announced = new List<string>();
        listener.Notification += (_, e) => announced.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {RouteStore.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await _routes.PublishAsync([Route("n1", 1)], "a", Ttl, notify: false, default);
        await _routes.PublishAsync([Route("n2", 1), Route("n3", 1)], "a", Ttl, notify: true, default);
        while (announced.Count < 2 && await listener.WaitAsync(TimeSpan.FromSeconds(5)))
        {
        }

        Assert.Equal(["n2", "n3"], announced.Order());
    }

    private async Task<IReadOnlyList<PublishedRoute>> PeersOfAsync(string holder)
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        return await RouteStore.ReadPeersAsync(connection, holder, default);
    }

    private static PublishedRoute Route(string nodeId, long epoch, bool routable = true) => new()
    {
        NodeId = nodeId,
        LeaseEpoch = epoch,
        Routable = routable,
        Model = "m",
        EngineEndpoint = "http://10.0.0.1:8000/",
        Waiting = 4,
        KvCacheUsage = 0.25,
    };
}
