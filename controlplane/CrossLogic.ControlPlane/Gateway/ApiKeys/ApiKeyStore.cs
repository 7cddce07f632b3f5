using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Gateway.ApiKeys;

/// <summary>Reads and writes `api_keys`. Every query that an operator drives is scoped by tenant.</summary>
internal sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        key_id AS KeyId, tenant AS Tenant, display_name AS DisplayName, key_hash AS KeyHash, created_at AS CreatedAt,
        expires_at AS ExpiresAt, revoked_at AS RevokedAt, allowed_models AS AllowedModels,
        requests_per_minute AS RequestsPerMinute, tokens_per_minute AS TokensPerMinute
        """;

    /// <summary>Inserts a key; false when the lookup id is taken (the caller mints another).</summary>
    public async Task<bool> CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO api_keys (key_id, tenant, display_name, key_hash, created_at, expires_at, allowed_models, requests_per_minute, tokens_per_minute)
            VALUES (@KeyId, @Tenant, @DisplayName, @KeyHash, @CreatedAt, @ExpiresAt, @AllowedModels, @RequestsPerMinute, @TokensPerMinute)
            ON CONFLICT (key_id) DO NOTHING
            """,
            key,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return inserted == 1;
    }

    /// <summary>The key with this lookup id, whatever its tenant: for authenticating a request.</summary>
    public async Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE key_id = @keyId", new { keyId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<ApiKeyRecord?> GetAsync(string tenant, string keyId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE tenant = @tenant AND key_id = @keyId",
            new { tenant, keyId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>A tenant's keys, newest first, after a (created_at, key_id) cursor.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, bool includeRevoked, (DateTime CreatedAt, string KeyId)? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ApiKeyRecord>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM api_keys
             WHERE tenant = @tenant
               AND (@includeRevoked OR revoked_at IS NULL)
               AND (@hasCursor = false OR (created_at, key_id) < (@afterCreatedAt, @afterKeyId))
             ORDER BY created_at DESC, key_id DESC
             LIMIT @limit
            """,
            new
            {
                tenant,
                includeRevoked,
                hasCursor = after is not null,
                afterCreatedAt = after?.CreatedAt ?? DateTime.UnixEpoch,
                afterKeyId = after?.KeyId ?? "",
                limit,
            },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Revokes a tenant's key (keeping the first revocation time); null when the tenant has no such key.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(string tenant, string keyId, DateTime now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition(
            $"""
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, @now)
             WHERE tenant = @tenant AND key_id = @keyId
            RETURNING {Columns}
            """,
            new { tenant, keyId, now },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
