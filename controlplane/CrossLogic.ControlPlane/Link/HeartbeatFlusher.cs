using CrossLogic.ControlPlane.Store;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Link;

/// <summary>
/// Writes the latest heartbeat of every node that beat since its last flush: at most one database write per node per
/// flush interval, whatever the heartbeat rate. Nodes are split into slices flushed in turn across the interval, so a
/// large fleet makes many small statements instead of one burst that would stall heartbeat handling.
/// </summary>
internal sealed class HeartbeatFlusher(LiveNodeRegistry registry, NodeStore store, IOptions<NodeLinkOptions> options, TimeProvider timeProvider, ILogger<HeartbeatFlusher> logger) : BackgroundService
{
    internal const int Slices = 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.FlushIntervalMs) / Slices, timeProvider);
        var slice = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(slice, stoppingToken).ConfigureAwait(false);
                slice = (slice + 1) % Slices;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync(slice: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes one slice of the nodes, or all of them when <paramref name="slice"/> is null.</summary>
    public async Task FlushAsync(int? slice, CancellationToken cancellationToken)
    {
        var pending = new List<(NodeLiveState State, HeartbeatRow Row)>();
        foreach (var state in registry.All)
        {
            if ((slice is null || SliceOf(state.NodeId) == slice) && state.TakeDirty() is { } row)
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

    /// <summary>A stable slice per node id (string.GetHashCode is randomized per process, which is fine: slices live in one process).</summary>
    internal static int SliceOf(string nodeId) => (int)((uint)nodeId.GetHashCode(StringComparison.Ordinal) % Slices);
}
