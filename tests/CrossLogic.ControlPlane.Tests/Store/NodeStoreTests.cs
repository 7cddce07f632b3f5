using CrossLogic.ControlPlane.Store;

namespace CrossLogic.ControlPlane.Tests.Store;

/// <summary>The store against a real PostgreSQL, migrated by the same code the control plane runs at start.</summary>
public sealed class NodeStoreTests : IAsyncLifetime
{
    private static readonly short[] StartOnAttach = [1];
    private MigratedPostgres _database = null!;
    private NodeStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await MigratedPostgres.StartAsync();
        await _database.MigrateAsync(); // idempotent: a restart applies nothing twice
        _store = new NodeStore(_database.DataSource);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Each_attach_takes_a_new_lease_epoch_and_moves_a_requested_node_to_starting()
    {
        await CreateAsync("n1");

        var first = await _store.AttachAsync(Attach("n1", "boot-a"), 4, StartOnAttach, default);
        var second = await _store.AttachAsync(Attach("n1", "boot-b"), 4, StartOnAttach, default);

        Assert.Equal(new AttachResult(1, 4, "http://127.0.0.1:8000", "m", false, "", false), first);
        Assert.Equal(new AttachResult(2, 4, "http://127.0.0.1:8000", "m", false, "", false), second);
        var events = await _store.ListEventsAsync("n1", long.MaxValue, 100, default);
        Assert.Equal(["LINK_ATTACHED", "STATE_CHANGED", "LINK_ATTACHED", "NODE_CREATED"], events.Select(e => e.Kind));
        Assert.Equal("agent attached after a reboot", events[0].Reason);
    }

    [Fact]
    public async Task Heartbeat_flushes_of_a_superseded_epoch_are_ignored()
    {
        await CreateAsync("n2");
        await _store.AttachAsync(Attach("n2", "b"), 4, StartOnAttach, default);
        await _store.AttachAsync(Attach("n2", "b"), 4, StartOnAttach, default);
        var now = DateTime.UtcNow;

        var written = await _store.FlushHeartbeatsAsync([new HeartbeatRow("n2", 1, now.AddMinutes(5), 99)], default);
        Assert.Equal(0, written);

        written = await _store.FlushHeartbeatsAsync([new HeartbeatRow("n2", 2, now.AddMinutes(5), 7)], default);
        Assert.Equal(1, written);
        Assert.Equal(7, (await _store.GetAsync("n2", default))!.LastHeartbeatSequence);
    }

    [Fact]
    public async Task A_detach_of_an_old_stream_does_not_disconnect_the_new_one()
    {
        await CreateAsync("n3");
        await _store.AttachAsync(Attach("n3", "b"), 4, StartOnAttach, default);
        await _store.AttachAsync(Attach("n3", "b"), 4, StartOnAttach, default);

        await _store.DetachAsync("n3", 1, DateTime.UtcNow, 3, "stream broken", default);

        Assert.True((await _store.GetAsync("n3", default))!.Connected);
        var closed = (await _store.ListEventsAsync("n3", long.MaxValue, 1, default)).Single();
        Assert.Contains("superseded", closed.Reason, StringComparison.Ordinal);

        await _store.DetachAsync("n3", 2, DateTime.UtcNow, 3, "goodbye", default);
        Assert.False((await _store.GetAsync("n3", default))!.Connected);
    }

    [Fact]
    public async Task A_resent_agent_event_is_stored_once()
    {
        await CreateAsync("n4");
        var start = DateTime.UtcNow;
        var row = new AgentEventRow("n4", start, 1, start, "LINK_LOST", "lost", "{}");

        await _store.AppendAgentEventAsync(row, default);
        await _store.AppendAgentEventAsync(row, default);
        await _store.AppendAgentEventAsync(row with { AgentStartTime = start.AddSeconds(1) }, default);

        var events = await _store.ListEventsAsync("n4", long.MaxValue, 100, default);
        Assert.Equal(2, events.Count(e => e.Kind == "LINK_LOST"));
    }

    [Fact]
    public async Task Creating_a_taken_node_id_returns_null_and_keeps_the_first_token()
    {
        await CreateAsync("n5");
        Assert.Null(await _store.CreateAsync(new NewNode("n5", 1, [9, 9], "", "", "", "{}"), default));
        Assert.Equal("n5", await _store.FindNodeByTokenHashAsync([1, 2, 3, .. "n5"u8.ToArray()], default));
    }

    private Task CreateAsync(string nodeId) => _store.CreateAsync(new NewNode(nodeId, 1, [1, 2, 3, .. System.Text.Encoding.UTF8.GetBytes(nodeId)], "", "http://127.0.0.1:8000", "m", "{}"), default);

    private static AttachRecord Attach(string nodeId, string bootId) => new(nodeId, bootId, "1.0", [], [], "127.0.0.1:1", DateTime.UtcNow);
}
