using CrossLogic.ControlPlane.Store;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Link;

/// <summary>
/// Writes the latest heartbeat of every node that beat since the last flush, in one statement per interval:
/// at most one database write per node per interval, whatever the heartbeat rate.
/// </summary>
internal sealed class HeartbeatFlusher(LiveNodeRegistry registry, NodeStore store, IOptions<LinkOptions> options, TimeProvider timeProvider, ILogger<HeartbeatFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.FlushIntervalMs), timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var pending = new List<(NodeLiveState State, HeartbeatRow Row)>();
        foreach (var state in registry.All)
        {
            if (state.TakeDirty() is { } row)
            {
                pending.Add((state, row));
            }
        }

        if (pending.Count == 0)
        {
            return;
        }

        try
        {
            await store.FlushHeartbeatsAsync(pending.ConvertAll(p => p.Row), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            foreach (var (state, _) in pending)
            {
                state.MarkDirty();
            }

            LinkLog.FlushFailed(logger, ex, pending.Count);
        }
    }
}
