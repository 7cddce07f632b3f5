using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Gateway.ApiKeys;

/// <summary>
/// Checks `Authorization: Bearer sk-cl-…` on each inference request. The format is checked and the key hashed before
/// any lookup; validated rows are cached for <see cref="GatewayOptions.KeyCacheSeconds"/>, and kept usable while the
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

        var presented = authorization.AsSpan(scheme.Length).Trim();
        if (!ApiKeyFormat.TryParse(presented, out var keyId))
        {
            return (null, OpenAiError.InvalidKey("Incorrect API key provided."));
        }

        var hash = ApiKeyFormat.Hash(presented);
        var (record, error) = await LookupAsync(keyId, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }

        if (record is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(hash, record.KeyHash))
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

    private async ValueTask<(ApiKeyRecord? Record, OpenAiError? Error)> LookupAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        _cache.TryGetValue(keyId, out var cached);
        if (cached is not null && now - cached.ReadAt < _fresh)
        {
            return (cached.Record, null);
        }

        try
        {
            var record = await store.FindAsync(keyId, cancellationToken).ConfigureAwait(false);
            if (_cache.Count >= MaxCachedKeys)
            {
                // Unknown ids are cached too (so guessing does not hammer the database); bound the memory that costs.
                _cache.Clear();
            }

            _cache[keyId] = new CachedKey(record, now);
            return (record, null);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            if (cached is not null && now - cached.ReadAt < _staleGrace)
            {
                GatewayLog.KeyServedStale(logger, keyId, ex.Message);
                return (cached.Record, null);
            }

            GatewayLog.KeyLookupFailed(logger, ex, keyId);
            return (null, OpenAiError.Unavailable("API keys cannot be checked right now. Retry shortly.", 2));
        }
    }

    private sealed record CachedKey(ApiKeyRecord? Record, DateTime ReadAt);
}
