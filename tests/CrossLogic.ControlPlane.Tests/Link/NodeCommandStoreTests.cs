using CrossLogic.ControlPlane.Link.Relay;
using CrossLogic.ControlPlane.Store;
using CrossLogic.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrossLogic.ControlPlane.Tests.Link;

/// <summary>Relayed commands against a real PostgreSQL: claimed once, and either claimed or expired, never both.</summary>
public sealed class NodeCommandStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(3);
    private TempPostgres _postgres = null!;
    private NpgsqlDataSource _dataSource = null!;
    private NodeCommandStore _commands = null!;

    public async Task InitializeAsync()
    {
        _postgres = await TempPostgres.StartAsync();
        _dataSource = NpgsqlDataSource.Create(_postgres.ConnectionString());
        await new DatabaseMigrator(_dataSource, Options.Create(new StoreOptions { ConnectionString = _postgres.ConnectionString() }), TimeProvider.System, NullLogger<DatabaseMigrator>.Instance)
            .StartAsync(default);
        await new NodeStore(_dataSource).CreateAsync(new NewNode("n1", 1, [1, 2, 3], "", "http://127.0.0.1:8000", "m", "{}"), default);
        _commands = new NodeCommandStore(_dataSource);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _postgres.DisposeAsync();
    }

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
        await using var connection = await _dataSource.OpenConnectionAsync();
        Assert.Equal([("n1", "c3")], await NodeCommandStore.PendingAsync(connection, MaxAge, default));
        Assert.Empty(await NodeCommandStore.PendingAsync(connection, TimeSpan.FromMilliseconds(200), default));
    }

    [Fact]
    public async Task A_request_is_announced_with_its_node_and_id()
    {
        await using var listener = await _dataSource.OpenConnectionAsync();
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
