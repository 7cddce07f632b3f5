using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Fleet.Outbox;

/// <summary>
/// Claims and settles outbox items. A claim is a lease (claimed_until) renewed while the work runs: a worker that dies
/// stops renewing and its item becomes claimable again, so the work resumes after a crash; SKIP LOCKED keeps two
/// workers from claiming one item.
/// </summary>
internal sealed class OutboxStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id AS Id, kind AS Kind, node_id AS NodeId, cluster_name AS ClusterName, provisioner AS Provisioner, payload::text AS Payload, attempts AS Attempts";

    public async Task<IReadOnlyList<OutboxItem>> ClaimAsync(string owner, TimeSpan claim, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // A teardown waits while a launch of the same cluster is in progress, so it never runs before the machine exists.
        var rows = await connection.QueryAsync<OutboxItem>(new CommandDefinition(
            $"""
            UPDATE outbox SET claimed_by = @owner, claimed_until = now() + @claim, attempts = attempts + 1
             WHERE id IN (
                   SELECT id FROM outbox o
                    WHERE done_at IS NULL AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
                      AND NOT (kind = 'teardown' AND EXISTS (
                          SELECT 1 FROM outbox l WHERE l.cluster_name = o.cluster_name AND l.kind = 'launch' AND l.done_at IS NULL))
                    ORDER BY id
                    FOR UPDATE SKIP LOCKED
                    LIMIT @limit)
            RETURNING {Columns}
            """,
            new { owner, claim, limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Extends the claim; false when this worker no longer holds it (it expired and someone else took it).</summary>
    public async Task<bool> RenewAsync(long id, string owner, TimeSpan claim, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE outbox SET claimed_until = now() + @claim WHERE id = @id AND claimed_by = @owner AND done_at IS NULL",
            new { id, owner, claim },
            cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }

    public async Task CompleteAsync(long id, string owner, string outcome, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE outbox SET done_at = now(), last_error = @outcome, claimed_until = NULL WHERE id = @id AND claimed_by = @owner",
            new { id, owner, outcome },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task RetryLaterAsync(long id, string owner, TimeSpan delay, string error, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = now() + @delay, last_error = @error
             WHERE id = @id AND claimed_by = @owner AND done_at IS NULL
            """,
            new { id, owner, delay, error },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>True while a launch or teardown of the cluster is queued or running.</summary>
    public async Task<bool> PendingAsync(string clusterName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE cluster_name = @clusterName AND done_at IS NULL)",
            new { clusterName },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Queues the teardown of a cluster no node owns (an orphan). Idempotent.</summary>
    public async Task<bool> QueueOrphanTeardownAsync(string clusterName, string provisioner, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO outbox (kind, cluster_name, provisioner, payload) VALUES ('teardown', @clusterName, @provisioner, '{"Force":true,"DrainSeconds":0}'::jsonb)
            ON CONFLICT (cluster_name, kind) WHERE done_at IS NULL DO NOTHING
            """,
            new { clusterName, provisioner },
            cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
    }
}
