using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Gateway.RateLimits;

/// <summary>`key_consumption`: each replica's running totals per API key, and the sums of the others'.</summary>
internal sealed class KeyConsumptionStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Writes this replica's totals that changed; then reads the other replicas' summed totals of the keys
    /// <paramref name="firstSeen"/> here and of every key they changed after <paramref name="changedAfter"/>. The
    /// work is in proportion to the keys in use, not to every key a replica has met since it started.
    /// </summary>
    /// <returns>The sums, and the database's time before they were read: the next call's <paramref name="changedAfter"/>, less a margin.</returns>
    public async Task<(IReadOnlyList<KeyConsumption> Others, DateTime ReadAt)> ExchangeAsync(
        IReadOnlyList<KeyConsumption> changed,
        IReadOnlyCollection<string> firstSeen,
        DateTime? changedAfter,
        string replica,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (changed.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO key_consumption (key_id, replica, requests, tokens, updated_at)
                SELECT k, @replica, r, t, now() FROM unnest(@keys, @requests, @tokens) AS u(k, r, t)
                ON CONFLICT (key_id, replica) DO UPDATE SET requests = excluded.requests, tokens = excluded.tokens, updated_at = now()
                """,
                new
                {
                    replica,
                    keys = changed.Select(c => c.KeyId).ToArray(),
                    requests = changed.Select(c => c.Requests).ToArray(),
                    tokens = changed.Select(c => c.Tokens).ToArray(),
                },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        // Each statement is its own transaction: rows committed before this time are visible to the read below.
        var readAt = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition("SELECT now()", cancellationToken: cancellationToken)).ConfigureAwait(false);
        var others = await connection.QueryAsync<KeyConsumption>(new CommandDefinition(
            """
            SELECT key_id AS KeyId, sum(requests)::bigint AS Requests, sum(tokens)::bigint AS Tokens
              FROM key_consumption
             WHERE replica <> @replica
               AND (key_id = ANY(@firstSeen)
                    OR key_id IN (SELECT key_id FROM key_consumption WHERE replica <> @replica AND updated_at > @changedAfter))
             GROUP BY key_id
            """,
            new { replica, firstSeen = firstSeen.ToArray(), changedAfter },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (others.AsList(), readAt);
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
