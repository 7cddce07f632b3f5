using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Gateway.Usage;
using CrossLogic.ControlPlane.Observability;
using CrossLogic.ControlPlane.Tests.Store;
using CrossLogic.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace CrossLogic.ControlPlane.Tests.Gateway;

/// <summary>
/// `usage` against a real PostgreSQL: a first write inserts plainly, a write that may repeat an earlier one skips the
/// rows stored before, and a batch that collides with stored rows is written without them, never lost or doubled.
/// </summary>
public sealed class UsageStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private MigratedPostgres _database = null!;
    private UsageStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await MigratedPostgres.StartAsync();
        _store = new UsageStore(_database.DataSource);
    }

    public async Task DisposeAsync()
    {
        await _meters.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_write_that_may_repeat_an_earlier_one_skips_the_rows_stored_before()
    {
        var (a, b, c) = (Row(), Row(), Row());
        Assert.Equal(2, await _store.InsertAsync([a, b], mayBeStored: false, default));

        Assert.Equal(1, await _store.InsertAsync([a, b, c], mayBeStored: true, default));

        Assert.Equal([a.RequestId, b.RequestId, c.RequestId], await StoredIdsAsync());
    }

    [Fact]
    public async Task A_first_write_that_collides_with_stored_rows_fails_whole()
    {
        var (a, b) = (Row(), Row());
        await _store.InsertAsync([a], mayBeStored: false, default);

        var error = await Assert.ThrowsAsync<PostgresException>(() => _store.InsertAsync([b, a], mayBeStored: false, default));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal([a.RequestId], await StoredIdsAsync());
    }

    [Fact]
    public async Task The_recorder_writes_a_colliding_batch_again_at_once_without_its_stored_rows()
    {
        var logger = new FakeLogger<UsageRecorder>();
        var (stored, fresh) = (Row(), Row());
        await _store.InsertAsync([stored], mayBeStored: false, default);
        var recorder = Recorder(logger);
        await recorder.StartAsync(default);

        recorder.Record(stored with { PromptTokens = 999 });
        recorder.Record(fresh);
        // Stopped only once it ran: a BackgroundService stopped before its ExecuteAsync started never runs it.
        await Eventually.TrueAsync(() => recorder.Written == 2, TimeSpan.FromSeconds(10), "the batch written");
        await recorder.StopAsync(default);

        Assert.Equal([stored.RequestId, fresh.RequestId], await StoredIdsAsync());
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        Assert.Equal(10, await connection.ExecuteScalarAsync<int>("SELECT prompt_tokens FROM usage WHERE request_id = @id", new { id = stored.RequestId }));
        // Written again at once as a possible repeat, not taken for a database failure and retried after a pause.
        Assert.Equal([1217], logger.Collector.GetSnapshot().Select(record => record.Id.Id));
    }

    [Fact]
    public async Task Rows_recorded_while_the_database_is_down_are_written_once_when_it_is_back()
    {
        var logger = new FakeLogger<UsageRecorder>();
        var (a, b) = (Row(), Row());
        var recorder = Recorder(logger);
        await recorder.StartAsync(default);
        await _database.Server.StopServerAsync();

        recorder.Record(a);
        recorder.Record(b);
        await Eventually.TrueAsync(() => logger.Collector.GetSnapshot().Any(r => r.Id.Id == 1205), TimeSpan.FromSeconds(10), "a failed write logged");
        await _database.Server.StartServerAsync();
        await Eventually.TrueAsync(() => recorder.Written == 2, TimeSpan.FromSeconds(30), "the batch written after the restart");
        await recorder.StopAsync(default);

        Assert.Equal([a.RequestId, b.RequestId], await StoredIdsAsync());
    }

    [Fact]
    public async Task Queued_rows_are_written_at_shutdown_even_when_the_hosts_time_is_spent()
    {
        var recorder = Recorder(new FakeLogger<UsageRecorder>(), _time);
        await recorder.StartAsync(default);
        recorder.Record(Row());
        await Eventually.TrueAsync(() => { _time.Advance(TimeSpan.FromMilliseconds(10)); return recorder.Written == 1; }, TimeSpan.FromSeconds(10), "the loop running");
        recorder.Record(Row());
        recorder.Record(Row()); // waiting for the next flush, which fake time never brings

        // As when Kestrel spent the host's shutdown timeout on open streams.
        await recorder.StopAsync(new CancellationToken(canceled: true));

        Assert.Equal(3, recorder.Written);
        Assert.Equal(3, (await StoredIdsAsync()).Count);
    }

    private UsageRecord Row()
    {
        _time.Advance(TimeSpan.FromMilliseconds(1));
        return new UsageRecord(RequestIds.New(_time), _time.GetUtcNow().UtcDateTime, "t", "k", "m", "n1", 200, 10, 1, 11, false, 5);
    }

    private UsageRecorder Recorder(FakeLogger<UsageRecorder> logger, TimeProvider? time = null) => new(
        _store,
        Options.Create(new GatewayOptions { UsageFlushIntervalMs = 10 }),
        time ?? TimeProvider.System,
        new ControlPlaneMetrics(_meters.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
        logger);

    private async Task<List<string>> StoredIdsAsync()
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<string>("SELECT request_id FROM usage ORDER BY request_id")).AsList();
    }
}
