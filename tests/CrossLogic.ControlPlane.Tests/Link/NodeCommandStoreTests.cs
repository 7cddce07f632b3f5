using CrossLogic.ControlPlane.Link.Relay;
using CrossLogic.ControlPlane.Tests.Store;
using Npgsql;

namespace CrossLogic.ControlPlane.Tests.Link;

/// <summary>Relayed commands against a real PostgreSQL: claimed once, and either claimed or expired, never both.</summary>
public sealed class NodeCommandStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(3);
    private MigratedPostgres _database = null!;
    private NodeCommandStore _commands = null!;

    public async Task InitializeAsync()
    {
        _database = await MigratedPostgres.StartAsync("n1");
        _commands = new NodeCommandStore(_database.DataSource);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_command_is_claimed_by_one_replica_and_then_cannot_expire()
    {
        await _commands.RequestAsync("c1", "n1", [9, 8, 7], default);

        Assert.Equal([9, 8, 7], await _commands.ClaimAsync("c1", "a", MaxAge, default));
        Assert.Null(await _commands.ClaimAsync("c1", "b", MaxAge, default));
        Assert.False(await _commands.ExpireAsync("c1", default));
        await _commands.CompleteAsync("c1", NodeCommandStore.Acknowledged, true, "", default);
        Assert.Equal((NodeCommandStore.Acknowledged, (bool?)true, ""), await _commands.GetAsync("c1", default));
    }

    [Fact]
    public async Task An_expired_command_is_never_claimed_and_a_stale_one_neither()
    {
        await _commands.RequestAsync("c2", "n1", [1], default);
        Assert.True(await _commands.ExpireAsync("c2", default));
        Assert.Null(await _commands.ClaimAsync("c2", "a", MaxAge, default));

        await _commands.RequestAsync("c3", "n1", [1], default);
        await Task.Delay(300);
        Assert.Null(await _commands.ClaimAsync("c3", "a", TimeSpan.FromMilliseconds(200), default));
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        Assert.Equal([("n1", "c3")], await NodeCommandStore.PendingAsync(connection, MaxAge, default));
        Assert.Empty(await NodeCommandStore.PendingAsync(connection, TimeSpan.FromMilliseconds(200), default));
    }

    [Fact]
    public async Task A_request_is_announced_with_its_node_and_id()
    {
        await using var listener = await _database.DataSource.OpenConnectionAsync();
        var announced = new List<string>();
        listener.Notification += (_, e) => announced.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {NodeCommandStore.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await _commands.RequestAsync("c4", "n1", [1], default);
        await listener.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(["n1 c4"], announced);
    }
}
