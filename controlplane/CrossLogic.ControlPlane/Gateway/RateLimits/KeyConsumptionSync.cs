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
    private readonly Dictionary<string, (long Requests, long Tokens)> _elsewhere = new(StringComparer.Ordinal);

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

                var others = (await store.ExchangeAsync(own, instance.Id, stoppingToken).ConfigureAwait(false)).ToDictionary(c => c.KeyId, StringComparer.Ordinal);
                foreach (var mine in own)
                {
                    // What the others had used when this replica first exchanged a key is its baseline (nothing, if no
                    // other replica has used it yet); from then on, their growth is charged here.
                    var now = others.TryGetValue(mine.KeyId, out var other) ? (other.Requests, other.Tokens) : (0L, 0L);
                    if (_elsewhere.TryGetValue(mine.KeyId, out var before))
                    {
                        limiter.ChargeElsewhere(mine.KeyId, now.Item1 - before.Requests, now.Item2 - before.Tokens);
                    }

                    _elsewhere[mine.KeyId] = now;
                }

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
}
