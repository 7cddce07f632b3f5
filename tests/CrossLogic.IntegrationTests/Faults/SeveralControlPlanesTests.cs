using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Faults;

/// <summary>
/// Two control-plane replicas on one database, each holding the streams of its own agents, with requests flowing
/// through only one of them: it routes to the other's nodes too, stops within milliseconds when the other takes one out
/// of routing, and when the other dies keeps serving its healthy engines until their routes expire. Commands for an
/// agent reach it through whichever replica holds its stream; a key's rate limits hold across the replicas.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SeveralControlPlanesTests(PostgresFixture db) : IAsyncLifetime
{
    private const string Model = "peer-model";
    private const int TtlSeconds = 4;

    // Long enough that only the NOTIFY path can take a node out of the serving replica's routing in time (a reread
    // would come up to 2 s later).
    private const int RefreshSeconds = 2;
    private readonly string _dir = Directory.CreateTempSubdirectory("crosslogic-peers-").FullName;
    private readonly List<IAsyncDisposable> _cleanup = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            await _cleanup[i].DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_replica_routes_to_nodes_another_holds_follows_their_removal_within_milliseconds_and_outlives_the_holder_by_the_ttl()
    {
        var (holder, serving) = await StartReplicasAsync();

        // On the holder: one node behind proxies (to cut both of its paths later) and one plain. On the serving
        // replica: one of its own.
        await using var streamProxy = new ChaosProxy(holder.GrpcPort);
        var probePort = FreePort.Next();
        await using var probeProxy = new ChaosProxy(probePort);
        var cut = await StartNodeAsync(holder, $"http://127.0.0.1:{streamProxy.Port}", probePort, $"127.0.0.1:{probeProxy.Port}");
        var orphaned = await StartNodeAsync(holder);
        var own = await StartNodeAsync(serving);
        await FaultKit.WaitRoutedAsync(holder, cut.NodeId, TimeSpan.FromSeconds(30));
        await FaultKit.WaitRoutedAsync(holder, orphaned.NodeId, TimeSpan.FromSeconds(30));
        await FaultKit.WaitRoutedAsync(serving, own.NodeId, TimeSpan.FromSeconds(30));

        // Every request goes through the replica that holds only one of the three.
        var (key, _) = await holder.CreateApiKeyAsync("peers");
        await using var load = new GatewayLoad(serving.GatewayUrl, key, Model);
        await Eventually.TrueAsync(
            () => new[] { cut, orphaned, own }.All(n => FaultKit.Arrivals(n.EngineLog).Count > 0),
            TimeSpan.FromSeconds(15),
            "the serving replica sends to all three engines");
        using (var http = new HttpClient())
        {
            Assert.Matches(@"(?m)^crosslogic_gateway_peer_routes(\{[^}]*\})? 2$", await http.GetStringAsync(serving.HttpUrl + "/metrics"));
        }

        // The holder takes a node out (both of its paths cut: Unreachable). Its engine still answers: only routing keeps
        // requests from it, on the serving replica as on the holder.
        var bothAt = FaultKit.NowMs();
        streamProxy.Set(ChaosProxy.Mode.Blackhole);
        probeProxy.Set(ChaosProxy.Mode.Reset);
        var outAt = await FaultKit.WaitOutAsync(holder, cut.NodeId, bothAt, TimeSpan.FromSeconds(10));
        await Task.Delay(1_500);
        var lastAtCut = FaultKit.Arrivals(cut.EngineLog).Max();
        FaultKit.Figure("peer_out_of_routing_last_request_ms", Math.Max(0, lastAtCut - outAt).ToString(CultureInfo.InvariantCulture));
        // The change crosses the database (a write, its NOTIFY, a read) between two loaded processes: usually a few
        // milliseconds here, 100 ms once in five runs.
        Assert.True(FaultKit.ArrivalsAfter(cut.EngineLog, outAt, toleranceMs: 250) == 0, "arrived after out: " + FaultKit.ArrivalsAfterMark(cut.EngineLog, outAt));

        // The holder dies. Its other node's agent and engine live on, with nobody holding its stream: the serving
        // replica keeps sending to it until the route's last refresh expires, then stops.
        var killedAt = FaultKit.NowMs();
        holder.Process.Kill();
        var expiredBy = killedAt + ((TtlSeconds + RefreshSeconds + 1) * 1000);
        await Task.Delay(TimeSpan.FromMilliseconds(expiredBy - FaultKit.NowMs() + 1_500));
        var afterKill = FaultKit.Arrivals(orphaned.EngineLog).Where(a => a > killedAt).ToList();
        FaultKit.Figure("peer_route_served_after_holder_died_ms", afterKill.Count == 0 ? "0" : (afterKill.Max() - killedAt).ToString(CultureInfo.InvariantCulture));
        Assert.True(afterKill.Count > 0, "served the dead holder's healthy node while its route was fresh");
        Assert.True(afterKill.All(a => a <= expiredBy), $"served {afterKill.Max() - killedAt} ms after the holder died (ttl {TtlSeconds} s)");

        var before = load.Ok;
        await Task.Delay(500);
        Assert.True(load.Ok > before, "the serving replica still serves from its own node");
        Assert.True(load.Failed <= 2, $"{load.Failed} failed of {load.Ok + load.Failed}");
    }

    [Fact]
    public async Task Commands_asked_of_a_replica_that_does_not_hold_the_node_reach_it_through_the_one_that_does()
    {
        var (holder, other) = await StartReplicasAsync();
        var node = await StartNodeAsync(holder);
        await FaultKit.WaitRoutedAsync(holder, node.NodeId, TimeSpan.FromSeconds(30));
        var name = "nodes/" + node.NodeId;

        // The restart's acknowledgement comes back through the database.
        var started = (await holder.EventsAsync(node.NodeId)).Count(e => e.Kind == "ENGINE_STARTED");
        await other.Fleet.RestartNodeEngineAsync(new RestartNodeEngineRequest { Name = name });
        await Eventually.TrueAsync(async () => (await holder.EventsAsync(node.NodeId)).Count(e => e.Kind == "ENGINE_STARTED") > started,
            TimeSpan.FromSeconds(20), "restart relayed");
        await FaultKit.WaitRoutedAsync(holder, node.NodeId, TimeSpan.FromSeconds(30));

        // The drain takes the node out of the holder's routing (and so every replica's), then the agent drains.
        var drainedAt = FaultKit.NowMs();
        await other.Fleet.DrainNodeAsync(new DrainNodeRequest { Name = name });
        await FaultKit.WaitOutAsync(holder, node.NodeId, drainedAt - 1, TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(async () => (await holder.EventsAsync(node.NodeId)).Any(e => e.Kind == "ENGINE_DRAINED"),
            TimeSpan.FromSeconds(15), "drain relayed");

        // A node nobody holds: refused once no replica took the command, and the command can never be sent later.
        var offline = await holder.Fleet.CreateNodeAsync(new CreateNodeRequest { NodeId = "f-offline-" + Guid.NewGuid().ToString("N")[..6], Node = new Node() });
        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => other.Fleet.DrainNodeAsync(new DrainNodeRequest { Name = "nodes/" + offline.Node.NodeId }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("not connected to any control-plane replica", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_one_replica_admitted_under_a_key_is_charged_on_the_other()
    {
        var (first, second) = await StartReplicasAsync();
        await StartNodeAsync(first);
        var (warmUp, _) = await first.CreateApiKeyAsync("limits");
        await Eventually.TrueAsync(async () => await SendChatAsync(second, warmUp) == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the second replica routes to the first's node");

        var (key, _) = await first.CreateApiKeyAsync("limits", new ApiKey { RequestsPerMinute = 20 });
        // The second replica meets the key first; then the first uses up the rest of the key's minute.
        var since = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, await SendChatAsync(second, key));
        await Task.Delay(2_500); // its first exchange (once a second) takes the others' use so far, none, as its baseline
        for (var i = 0; i < 19; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendChatAsync(first, key));
        }

        // After an exchange or two the second has charged them: what it admits now is the refill (one request every 3 s).
        await Task.Delay(3_000);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add(await SendChatAsync(second, key));
        }

        // Unshared, the second would still hold 19 of its own 20 and admit all 10.
        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        var refilled = (int)(since.Elapsed.TotalSeconds / 3);
        Console.WriteLine($"admitted by the second replica after the first used the minute: {admitted} of 10 ({refilled} refilled in {since.Elapsed.TotalSeconds:F1} s)");
        Assert.InRange(admitted, 0, refilled + 1);
        Assert.All(statuses.Where(s => s != HttpStatusCode.OK), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    /// <summary>Two control-plane replicas on a database of their own, routes refreshed every 2 s.</summary>
    private async Task<(ControlPlaneProcess First, ControlPlaneProcess Second)> StartReplicasAsync()
    {
        var database = "peers_" + Guid.NewGuid().ToString("N")[..8];
        await db.Postgres.CreateDatabaseAsync(database);
        var settings = new Dictionary<string, string>
        {
            ["Gateway__PeerRouteTtlSeconds"] = TtlSeconds.ToString(CultureInfo.InvariantCulture),
            ["Gateway__PeerRouteRefreshSeconds"] = RefreshSeconds.ToString(CultureInfo.InvariantCulture),
        };
        var first = await ControlPlaneProcess.StartAsync(db.Postgres.ConnectionString(database), settings);
        _cleanup.Add(first);
        var second = await ControlPlaneProcess.StartAsync(db.Postgres.ConnectionString(database), settings);
        _cleanup.Add(second);
        return (first, second);
    }

    private async Task<FaultNode> StartNodeAsync(
        ControlPlaneProcess controlPlane, string? controlPlaneUrl = null, int? probePort = null, string? probeEndpoint = null)
    {
        var node = await FaultNode.StartAsync(controlPlane, _dir, Model, controlPlaneUrl, probePort, probeEndpoint);
        _cleanup.Add(node.Agent);
        return node;
    }

    private static async Task<HttpStatusCode> SendChatAsync(ControlPlaneProcess controlPlane, string key)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, controlPlane.GatewayUrl + "/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{Model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":1}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
