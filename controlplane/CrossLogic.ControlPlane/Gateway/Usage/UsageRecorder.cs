using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Gateway.Usage;

/// <summary>
/// Collects usage off the request path and writes it in batches. A failed write is retried with the same batch (the
/// request id makes that safe) while the database is away; on shutdown everything queued is written before exit.
/// </summary>
internal sealed class UsageRecorder : BackgroundService
{
    /// <summary>
    /// How long shutdown waits for the queued rows to be written, whatever is left of the host's own timeout: Kestrel
    /// stops first and may spend all of that waiting for long streams. A database that is away is given up on sooner
    /// (three attempts), with a log line.
    /// </summary>
    private static readonly TimeSpan FinalFlushBudget = TimeSpan.FromSeconds(30);

    private readonly UsageStore _store;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<UsageRecorder> _logger;
    private readonly Observability.ControlPlaneMetrics _metrics;
    private readonly Channel<UsageRecord> _queue;
    private long _dropped;

    public UsageRecorder(UsageStore store, IOptions<GatewayOptions> options, TimeProvider time, Observability.ControlPlaneMetrics metrics, ILogger<UsageRecorder> logger)
    {
        _metrics = metrics;
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<UsageRecord>(
            new BoundedChannelOptions(_options.UsageBufferLimit) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>Rows written since start.</summary>
    public long Written { get; private set; }

    public void Record(UsageRecord record)
    {
        _metrics.GatewayTokens(record.Model, record.PromptTokens, record.CompletionTokens);
        if (!_queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // No new rows; ExecuteAsync drains what is queued and returns. The host's token may be spent already: the
        // drain gets its own budget rather than being abandoned while the rows are written.
        _queue.Writer.TryComplete();
        using var budget = new CancellationTokenSource(FinalFlushBudget, _time);
        await base.StopAsync(budget.Token).ConfigureAwait(false);
        ReportDrops(); // rows of requests that ended after the queue closed
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<UsageRecord>(_options.UsageBatchSize);
        var reader = _queue.Reader;
        var interval = TimeSpan.FromMilliseconds(_options.UsageFlushIntervalMs);
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            // The first row of a batch is here: let the rest arrive for one interval, asleep, rather than being woken
            // by every request (a wake per request costs the gateway a thread switch on the request's cores).
            try
            {
                await Task.Delay(interval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: write what is queued now.
            }

            while (reader.TryRead(out var record))
            {
                batch.Add(record);
                if (batch.Count == _options.UsageBatchSize)
                {
                    await WriteAsync(batch, stoppingToken).ConfigureAwait(false);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                await WriteAsync(batch, stoppingToken).ConfigureAwait(false);
                batch.Clear();
            }

            ReportDrops();
        }
    }

    private async Task WriteAsync(List<UsageRecord> batch, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        var mayBeStored = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.InsertAsync(batch, mayBeStored, CancellationToken.None).ConfigureAwait(false);
                Written += batch.Count;
                if (attempt > 1)
                {
                    GatewayLog.UsageWriteRecovered(_logger, batch.Count, attempt);
                }

                return;
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation && !mayBeStored)
            {
                // Rows with these request ids exist (nothing of this statement was kept): write the rest at once, as the same attempt.
                GatewayLog.UsageRowsSeenBefore(_logger, batch.Count);
                mayBeStored = true;
                attempt--;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                // The write may have been committed before the failure reached us: from now on it may repeat itself.
                mayBeStored = true;
                if (stoppingToken.IsCancellationRequested && attempt >= 3)
                {
                    GatewayLog.UsageLostAtShutdown(_logger, ex, batch.Count);
                    return;
                }

                GatewayLog.UsageWriteFailed(_logger, ex, batch.Count, attempt);
                await Task.Delay(delay, _time, CancellationToken.None).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private void ReportDrops()
    {
        var dropped = Interlocked.Exchange(ref _dropped, 0);
        if (dropped > 0)
        {
            GatewayLog.UsageDropped(_logger, dropped, _options.UsageBufferLimit);
        }
    }
}
