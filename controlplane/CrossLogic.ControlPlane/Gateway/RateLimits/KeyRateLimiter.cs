using System.Collections.Concurrent;
using CrossLogic.ControlPlane.Gateway.ApiKeys;

namespace CrossLogic.ControlPlane.Gateway.RateLimits;

/// <summary>
/// Requests-per-minute and tokens-per-minute limits of each API key. The buckets are this replica's; what it admits and
/// charges is counted, so that <see cref="KeyConsumptionSync"/> can share the counts with the other replicas and charge
/// here what they admitted and charged: every replica's buckets then follow the key's use on all of them.
/// </summary>
internal sealed class KeyRateLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, KeyBuckets> _keys = new(StringComparer.Ordinal);

    /// <summary>Null when the request may go; else the error to answer.</summary>
    public OpenAiError? Admit(ApiKeyRecord key)
    {
        if (key.RequestsPerMinute <= 0 && key.TokensPerMinute <= 0)
        {
            return null;
        }

        var buckets = BucketsOf(key);
        if (buckets.Tokens is { } tokens && !tokens.HasCredit(out var tokenWait))
        {
            return OpenAiError.RateLimited($"tokens per minute ({key.TokensPerMinute})", tokenWait);
        }

        if (buckets.Requests is { } requests && !requests.TryTake(1, out var requestWait))
        {
            return OpenAiError.RateLimited($"requests per minute ({key.RequestsPerMinute})", requestWait);
        }

        Interlocked.Increment(ref buckets.Counted.Requests);
        return null;
    }

    /// <summary>Charges the tokens a finished request used.</summary>
    public void Charge(ApiKeyRecord key, long tokens)
    {
        if (key.TokensPerMinute > 0 && tokens > 0)
        {
            var buckets = BucketsOf(key);
            buckets.Tokens?.Charge(tokens);
            Interlocked.Add(ref buckets.Counted.Tokens, tokens);
        }
    }

    /// <summary>What this replica admitted and charged under each limited key since it started.</summary>
    public IReadOnlyList<KeyConsumption> Consumption() =>
        [.. _keys.Select(k => new KeyConsumption(k.Key, Volatile.Read(ref k.Value.Counted.Requests), Volatile.Read(ref k.Value.Counted.Tokens)))];

    /// <summary>
    /// Charges what other replicas admitted and charged under a key since the last exchange, at most one minute's
    /// budget: after an outage of the exchange, the others' use while it lasted would otherwise block the key here for
    /// as long again.
    /// </summary>
    public void ChargeElsewhere(string keyId, long requests, long tokens)
    {
        if (_keys.TryGetValue(keyId, out var buckets))
        {
            ChargeUpToCapacity(buckets.Requests, requests);
            ChargeUpToCapacity(buckets.Tokens, tokens);
        }
    }

    private static void ChargeUpToCapacity(TokenBucket? bucket, long amount)
    {
        if (bucket is not null && amount > 0)
        {
            bucket.Charge(Math.Min(amount, bucket.Capacity));
        }
    }

    private KeyBuckets BucketsOf(ApiKeyRecord key)
    {
        var buckets = _keys.GetOrAdd(key.KeyId, static (_, state) => New(state.key, state.time, new Counters()), (key, time));
        if (buckets.RequestsPerMinute != key.RequestsPerMinute || buckets.TokensPerMinute != key.TokensPerMinute)
        {
            // New limits, new buckets; the running totals go on (the other replicas take differences of them).
            buckets = New(key, time, buckets.Counted);
            _keys[key.KeyId] = buckets;
        }

        return buckets;
    }

    private static KeyBuckets New(ApiKeyRecord key, TimeProvider time, Counters counted)
    {
        var now = time.GetTimestamp();
        return new KeyBuckets(
            key.RequestsPerMinute,
            key.TokensPerMinute,
            key.RequestsPerMinute > 0 ? new TokenBucket(key.RequestsPerMinute, now, time) : null,
            key.TokensPerMinute > 0 ? new TokenBucket(key.TokensPerMinute, now, time) : null,
            counted);
    }

    private sealed record KeyBuckets(int RequestsPerMinute, long TokensPerMinute, TokenBucket? Requests, TokenBucket? Tokens, Counters Counted);

    /// <summary>Running totals: they only grow, so the other replicas can take differences.</summary>
    private sealed class Counters
    {
        public long Requests;
        public long Tokens;
    }
}
