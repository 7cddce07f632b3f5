using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Gateway.RateLimits;

/// <summary>`key_consumption`: each replica's running totals per API key, and the sums of the others'.</summary>
internal sealed class KeyConsumptionStore(NpgsqlDataSource dataSource)
{
    /// <summary>Writes this replica's totals; then returns the other replicas' summed totals of the same keys.</summary>
    public async Task<IReadOnlyList<KeyConsumption>> ExchangeAsync(IReadOnlyList<KeyConsumption> own, string replica, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var keys = own.Select(c => c.KeyId).ToArray();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO key_consumption (key_id, replica, requests, tokens, updated_at)
            SELECT k, @replica, r, t, now() FROM unnest(@keys, @requests, @tokens) AS u(k, r, t)
            ON CONFLICT (key_id, replica) DO UPDATE SET requests = excluded.requests, tokens = excluded.tokens, updated_at = now()
            """,
            new { replica, keys, requests = own.Select(c => c.Requests).ToArray(), tokens = own.Select(c => c.Tokens).ToArray() },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var others = await connection.QueryAsync<KeyConsumption>(new CommandDefinition(
            """
            SELECT key_id AS KeyId, sum(requests)::bigint AS Requests, sum(tokens)::bigint AS Tokens
              FROM key_consumption WHERE key_id = ANY(@keys) AND replica <> @replica GROUP BY key_id
            """,
            new { keys, replica },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return others.AsList();
    }

    /// <summary>Forgets rows no replica has written for <paramref name="age"/> (replicas that are gone).</summary>
    public async Task<int> PruneAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM key_consumption WHERE updated_at < now() - @age", new { age }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}

/// <summary>Requests admitted and tokens charged under one API key.</summary>
internal sealed record KeyConsumption(string KeyId, long Requests, long Tokens);
