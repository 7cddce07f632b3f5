using System.Collections.Concurrent;
using CrossLogic.ControlPlane.Gateway.ApiKeys;

namespace CrossLogic.ControlPlane.Gateway.RateLimits;

/// <summary>
/// Requests-per-minute and tokens-per-minute limits of each API key, kept by this control-plane replica. With several
/// replicas behind one load balancer each enforces the full limit (documented in the README).
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

        return null;
    }

    /// <summary>Charges the tokens a finished request used.</summary>
    public void Charge(ApiKeyRecord key, long tokens)
    {
        if (key.TokensPerMinute > 0 && tokens > 0)
        {
            BucketsOf(key).Tokens?.Charge(tokens);
        }
    }

    private KeyBuckets BucketsOf(ApiKeyRecord key)
    {
        var buckets = _keys.GetOrAdd(key.KeyId, static (_, state) => New(state.key, state.time), (key, time));
        if (buckets.RequestsPerMinute != key.RequestsPerMinute || buckets.TokensPerMinute != key.TokensPerMinute)
        {
            buckets = New(key, time);
            _keys[key.KeyId] = buckets;
        }

        return buckets;
    }

    private static KeyBuckets New(ApiKeyRecord key, TimeProvider time)
    {
        var now = time.GetTimestamp();
        return new KeyBuckets(
            key.RequestsPerMinute,
            key.TokensPerMinute,
            key.RequestsPerMinute > 0 ? new TokenBucket(key.RequestsPerMinute, now, time) : null,
            key.TokensPerMinute > 0 ? new TokenBucket(key.TokensPerMinute, now, time) : null);
    }

    private sealed record KeyBuckets(int RequestsPerMinute, long TokensPerMinute, TokenBucket? Requests, TokenBucket? Tokens);
}
