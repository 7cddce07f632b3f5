using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Gateway.RateLimits;
using CrossLogic.ControlPlane.Hosting;
using CrossLogic.ControlPlane.Tests.Store;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.ControlPlane.Tests.Gateway;

/// <summary>
/// `key_consumption` against a real PostgreSQL: a replica writes a key's row only when its totals changed, reads the
/// others' sums only for keys met for the first time and keys they changed, and charges their growth to its buckets.
/// </summary>
public sealed class KeyConsumptionSyncTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero));
    private MigratedPostgres _database = null!;
    private KeyConsumptionStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await MigratedPostgres.StartAsync();
        _store = new KeyConsumptionStore(_database.DataSource);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task The_others_sums_come_back_for_keys_met_for_the_first_time_and_keys_they_changed_and_for_no_other()
    {
        await _store.ExchangeAsync([new("k1", 5, 50), new("k2", 3, 0)], [], null, "a", default);
        await _store.ExchangeAsync([new("k1", 2, 20)], [], null, "b", default);

        var (first, readAt) = await _store.ExchangeAsync([new("k1", 100, 100)], ["k1", "k3"], null, "c", default);

        Assert.Equal([new KeyConsumption("k1", 7, 70)], first); // summed over a and b, without c's own row
        await _store.ExchangeAsync([new("k2", 4, 0)], [], null, "a", default);

        var (later, _) = await _store.ExchangeAsync([], [], readAt, "c", default);

        Assert.Equal([new KeyConsumption("k2", 4, 0)], later); // k1 did not change since
    }

    [Fact]
    public async Task A_row_is_written_only_when_its_totals_changed()
    {
        var limiter = new KeyRateLimiter(_time);
        var sync = Sync(limiter, out var replica);
        var key = Key("k1", requestsPerMinute: 100);
        Assert.Null(limiter.Admit(key));

        await sync.ExchangeOnceAsync(limiter.Consumption(), default);
        var written = await WrittenAtAsync(replica);
        await sync.ExchangeOnceAsync(limiter.Consumption(), default);
        await sync.ExchangeOnceAsync(limiter.Consumption(), default);

        Assert.Equal(written, await WrittenAtAsync(replica));
        Assert.Null(limiter.Admit(key));
        await sync.ExchangeOnceAsync(limiter.Consumption(), default);

        Assert.True(await WrittenAtAsync(replica) > written);
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT requests FROM key_consumption WHERE replica = @replica", new { replica }));
    }

    [Fact]
    public async Task An_unchanged_row_is_written_again_after_an_hour_so_the_daily_prune_never_takes_a_live_replicas_row()
    {
        var limiter = new KeyRateLimiter(_time);
        var sync = Sync(limiter, out var replica);
        Assert.Null(limiter.Admit(Key("k1", requestsPerMinute: 100)));
        await sync.ExchangeOnceAsync(limiter.Consumption(), default);
        var written = await WrittenAtAsync(replica);

        _time.Advance(TimeSpan.FromHours(1));
        await sync.ExchangeOnceAsync(limiter.Consumption(), default);

        Assert.True(await WrittenAtAsync(replica) > written);
    }

    [Fact]
    public async Task What_the_others_admit_after_the_first_exchange_is_charged_here_and_what_they_admitted_before_is_not()
    {
        var limiter = new KeyRateLimiter(_time);
        var sync = Sync(limiter, out _);
        var key = Key("k1", requestsPerMinute: 10);
        await _store.ExchangeAsync([new("k1", 500, 0)], [], null, "other", default); // long before: the baseline
        Assert.Null(limiter.Admit(key));
        await sync.ExchangeOnceAsync(limiter.Consumption(), default);
        Assert.Null(limiter.Admit(key));

        await _store.ExchangeAsync([new("k1", 508, 0)], [], null, "other", default);
        await sync.ExchangeOnceAsync(limiter.Consumption(), default);

        var limited = limiter.Admit(key); // 2 here and 8 there: the minute's 10 are used
        Assert.NotNull(limited);
        Assert.Equal(429, limited.Status);
    }

    private KeyConsumptionSync Sync(KeyRateLimiter limiter, out string replica)
    {
        var instance = new ControlPlaneInstance();
        replica = instance.Id;
        return new KeyConsumptionSync(limiter, _store, instance, Options.Create(new GatewayOptions()), _time, NullLogger<KeyConsumptionSync>.Instance);
    }

    private async Task<DateTime> WrittenAtAsync(string replica)
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<DateTime>("SELECT updated_at FROM key_consumption WHERE replica = @replica", new { replica });
    }

    private static ApiKeyRecord Key(string id, int requestsPerMinute) => new()
    {
        KeyId = id,
        Tenant = "t",
        KeyHash = [1],
        RequestsPerMinute = requestsPerMinute,
    };
}
