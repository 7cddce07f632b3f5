using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Gateway.ApiKeys;

/// <summary>
/// Checks `Authorization: Bearer sk-cl-…` on each inference request. The format is checked before any lookup;
/// validated rows are cached for <see cref="GatewayOptions.KeyCacheSeconds"/>, and kept usable while the
/// database is unreachable (availability over a perfectly fresh revocation).
/// </summary>
internal sealed class ApiKeyAuthenticator(ApiKeyStore store, IOptions<GatewayOptions> options, TimeProvider time, ILogger<ApiKeyAuthenticator> logger)
{
    private const int MaxCachedKeys = 100_000;
    private readonly ConcurrentDictionary<string, CachedKey> _cache = new(StringComparer.Ordinal);
    private readonly TimeSpan _fresh = TimeSpan.FromSeconds(options.Value.KeyCacheSeconds);
    private readonly TimeSpan _staleGrace = TimeSpan.FromSeconds(options.Value.KeyStaleGraceSeconds);

    public async ValueTask<(ApiKeyRecord? Key, OpenAiError? Error)> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        const string scheme = "Bearer ";
        if (string.IsNullOrEmpty(authorization))
        {
            return (null, OpenAiError.MissingKey());
        }

        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return (null, OpenAiError.InvalidKey("The Authorization header must be 'Bearer <API key>'."));
        }

        if (!ApiKeyFormat.TryParse(authorization.AsSpan(scheme.Length).Trim(), out var keyId))
        {
            return (null, OpenAiError.InvalidKey("Incorrect API key provided."));
        }

        var (cached, error) = await LookupAsync(keyId, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }

        // Spans do not live across an await: the key is sliced from the header again.
        if (!IsKeyOf(cached, keyId, authorization.AsSpan(scheme.Length).Trim()) || cached!.Record is not { } record)
        {
            return (null, OpenAiError.InvalidKey("Incorrect API key provided."));
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (record.RevokedAt is not null)
        {
            return (null, OpenAiError.InvalidKey("This API key has been revoked."));
        }

        if (record.ExpiresAt is { } expires && expires <= now)
        {
            return (null, OpenAiError.InvalidKey("This API key has expired."));
        }

        return (record, null);
    }

    /// <summary>Forgets a key at once (revoked on this replica).</summary>
    public void Evict(string keyId) => _cache.TryRemove(keyId, out _);

    /// <summary>
    /// Whether the presented key is the record's: the key this cache entry last verified, compared in constant time,
    /// or else SHA-256 of it against the stored hash (remembered as verified when it matches).
    /// </summary>
    /// <remarks>
    /// Hashing every request's key cost the gateway about 3 µs per request (OpenSSL's one-shot digest); a key verified
    /// once is compared as it is until the entry is read again from the database. The price is that a verified key is
    /// held in the gateway's memory as long as its cache entry, as the request that presented it was.
    /// </remarks>
    private bool IsKeyOf(CachedKey? cached, string keyId, ReadOnlySpan<char> presented)
    {
        if (cached?.VerifiedKey is { } verified && verified.Length == presented.Length
            && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(verified.AsSpan()), MemoryMarshal.AsBytes(presented)))
        {
            return true;
        }

        // An unknown id is hashed too, so that it answers no faster than a known id with a wrong secret.
        var hash = ApiKeyFormat.Hash(presented);
        if (cached?.Record is not { } record || !CryptographicOperations.FixedTimeEquals(hash, record.KeyHash))
        {
            return false;
        }

        // Only the entry this request read is replaced: a newer read of the row (revoked meanwhile) stays.
        _cache.TryUpdate(keyId, cached with { VerifiedKey = presented.ToString() }, cached);
        return true;
    }

    private async ValueTask<(CachedKey? Cached, OpenAiError? Error)> LookupAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        _cache.TryGetValue(keyId, out var cached);
        if (cached is not null && now - cached.ReadAt < _fresh)
        {
            return (cached, null);
        }

        try
        {
            var record = await store.FindAsync(keyId, cancellationToken).ConfigureAwait(false);
            if (_cache.Count >= MaxCachedKeys)
            {
                // Unknown ids are cached too (so guessing does not hammer the database); bound the memory that costs.
                _cache.Clear();
            }

            var read = new CachedKey(record, now, null);
            _cache[keyId] = read;
            return (read, null);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            if (cached is not null && now - cached.ReadAt < _staleGrace)
            {
                GatewayLog.KeyServedStale(logger, keyId, ex.Message);
                return (cached, null);
            }

            GatewayLog.KeyLookupFailed(logger, ex, keyId);
            return (null, OpenAiError.Unavailable("API keys cannot be checked right now. Retry shortly.", 2));
        }
    }

    /// <param name="VerifiedKey">The whole key, once a request presented it and its hash matched <paramref name="Record"/>'s.</param>
    private sealed record CachedKey(ApiKeyRecord? Record, DateTime ReadAt, string? VerifiedKey);
}
