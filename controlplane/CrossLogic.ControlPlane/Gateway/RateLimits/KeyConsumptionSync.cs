using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Gateway.RateLimits;

/// <summary>
/// Shares each API key's use between the control-plane replicas every `Gateway:RateLimitSyncMs`: writes what this
/// replica admitted and charged, reads what the others did, and charges the local buckets with how much that grew
/// since the last exchange. A key's limits then hold across replicas, overshot by at most what the others admit within
/// one interval. A replica that meets a key for the first time starts from a full bucket: it cannot tell how much of
/// the others' past use falls within the last minute. While the database is away, each replica enforces the limits on
/// its own.
/// </summary>
/// <remarks>
/// The exchange costs in proportion to the keys in use: a key's row is written when its totals changed (and once an
/// hour, so the daily prune never takes a live replica's row), and the others' sums are read for the keys met here
/// for the first time and the keys the others changed since the last exchange, less <see cref="ChangeMargin"/> for
/// writes that committed late. A replica that has met 100,000 keys, a few hundred of them in use across the replicas,
/// writes and reads a few hundred rows a second, not 100,000. Keys the others changed but this replica never met are
/// read and skipped.
/// </remarks>
internal sealed class KeyConsumptionSync(
    KeyRateLimiter limiter,
    KeyConsumptionStore store,
    Hosting.ControlPlaneInstance instance,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<KeyConsumptionSync> logger) : BackgroundService
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan KeepFor = TimeSpan.FromDays(1);

    /// <summary>An unchanged row is written again after this, well within <see cref="KeepFor"/>.</summary>
    private static readonly TimeSpan RewriteAfter = TimeSpan.FromHours(1);

    /// <summary>
    /// How far before the last read the next one looks for changed rows: a row is stamped when its write starts and
    /// seen when it commits. Reading a row twice is harmless (growth is charged as a difference); a write that takes
    /// longer than this to commit is charged here when its key next changes there.
    /// </summary>
    private static readonly TimeSpan ChangeMargin = TimeSpan.FromSeconds(10);

    /// <summary>The others' summed totals per key, as last read: the baseline their growth is charged from.</summary>
    private readonly Dictionary<string, (long Requests, long Tokens)> _elsewhere = new(StringComparer.Ordinal);

    /// <summary>What this replica last wrote per key, and when.</summary>
    private readonly Dictionary<string, (long Requests, long Tokens, long WrittenAt)> _written = new(StringComparer.Ordinal);

    private DateTime? _lastRead;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.RateLimitSyncMs);
        var lastPrune = time.GetTimestamp();
        var outage = new Store.OutageReport(ex => GatewayLog.KeyUseNotShared(logger, ex), () => GatewayLog.KeyUseSharedAgain(logger));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
                var own = limiter.Consumption();
                if (own.Count == 0)
                {
                    continue;
                }

                await ExchangeOnceAsync(own, stoppingToken).ConfigureAwait(false);
                if (time.GetElapsedTime(lastPrune) >= PruneInterval)
                {
                    lastPrune = time.GetTimestamp();
                    await store.PruneAsync(KeepFor, stoppingToken).ConfigureAwait(false);
                }

                outage.Succeeded();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                outage.Failed(ex);
            }
        }
    }

    /// <summary>One exchange: this replica's changed totals out, the others' growth charged here. Not thread-safe: the loop's.</summary>
    internal async Task ExchangeOnceAsync(IReadOnlyList<KeyConsumption> own, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        var changed = own.Where(c => !_written.TryGetValue(c.KeyId, out var last)
            || last.Requests != c.Requests || last.Tokens != c.Tokens || time.GetElapsedTime(last.WrittenAt, now) >= RewriteAfter).ToList();
        var firstSeen = own.Where(c => !_elsewhere.ContainsKey(c.KeyId)).Select(c => c.KeyId).ToHashSet(StringComparer.Ordinal);
        var (others, readAt) = await store.ExchangeAsync(changed, firstSeen, _lastRead - ChangeMargin, instance.Id, cancellationToken).ConfigureAwait(false);
        foreach (var written in changed)
        {
            _written[written.KeyId] = (written.Requests, written.Tokens, now);
        }

        // What the others had used when this replica first exchanged a key is its baseline (nothing, if no other
        // replica has used it yet); from then on, their growth is charged here. Keys never met here are not kept.
        foreach (var keyId in firstSeen)
        {
            _elsewhere[keyId] = (0, 0);
        }

        foreach (var other in others)
        {
            if (!_elsewhere.TryGetValue(other.KeyId, out var before))
            {
                continue;
            }

            if (!firstSeen.Contains(other.KeyId))
            {
                limiter.ChargeElsewhere(other.KeyId, other.Requests - before.Requests, other.Tokens - before.Tokens);
            }

            _elsewhere[other.KeyId] = (other.Requests, other.Tokens);
        }

        _lastRead = readAt;
    }
}
