using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Gateway.Usage;

/// <summary>Writes usage in batches (one statement per batch) and sums it per tenant.</summary>
internal sealed class UsageStore(NpgsqlDataSource dataSource)
{
    private const string InsertSql =
        """
        INSERT INTO usage (request_id, time, tenant, key_id, model, node_id, status, prompt_tokens, completion_tokens, total_tokens, streamed, duration_ms)
        SELECT * FROM unnest(@ids, @times, @tenants, @keys, @models, @nodes, @statuses, @prompt, @completion, @total, @streamed, @durations)
        """;

    /// <summary>
    /// Inserts a batch in one statement. A batch that may be stored already (a write whose outcome was lost) is written
    /// with <c>ON CONFLICT DO NOTHING</c>, so its rows stored before are skipped; returns the rows inserted.
    /// </summary>
    /// <remarks>
    /// Only a write that may repeat an earlier one pays for <c>ON CONFLICT</c>: PostgreSQL inserts each row's index entry
    /// speculatively for it, which cost 5 µs more per row here (11.5 against 6.5 µs with time-ordered request ids).
    /// A first write whose rows collide fails with a unique violation and is written again as a possible repeat.
    /// </remarks>
    public async Task<int> InsertAsync(IReadOnlyList<UsageRecord> batch, bool mayBeStored, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            mayBeStored ? InsertSql + " ON CONFLICT (request_id) DO NOTHING" : InsertSql,
            new
            {
                ids = batch.Select(r => r.RequestId).ToArray(),
                times = batch.Select(r => r.Time).ToArray(),
                tenants = batch.Select(r => r.Tenant).ToArray(),
                keys = batch.Select(r => r.KeyId).ToArray(),
                models = batch.Select(r => r.Model).ToArray(),
                nodes = batch.Select(r => r.NodeId).ToArray(),
                statuses = batch.Select(r => r.Status).ToArray(),
                prompt = batch.Select(r => r.PromptTokens).ToArray(),
                completion = batch.Select(r => r.CompletionTokens).ToArray(),
                total = batch.Select(r => r.TotalTokens).ToArray(),
                streamed = batch.Select(r => r.Streamed).ToArray(),
                durations = batch.Select(r => r.DurationMs).ToArray(),
            },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<UsageSum>> SumAsync(string tenant, DateTime start, DateTime end, string? keyId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<UsageSum>(new CommandDefinition(
            """
            SELECT key_id AS KeyId, model AS Model, node_id AS NodeId, count(*) AS Requests,
                   sum(prompt_tokens)::bigint AS PromptTokens, sum(completion_tokens)::bigint AS CompletionTokens,
                   sum(total_tokens)::bigint AS TotalTokens
              FROM usage
             WHERE tenant = @tenant AND time >= @start AND time < @end AND (@keyId::text IS NULL OR key_id = @keyId)
             GROUP BY key_id, model, node_id
             ORDER BY key_id, model, node_id
            """,
            new { tenant, start, end, keyId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }
}
