using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Fleet.Deployments;

/// <summary>Reads and writes `deployments` and `deployment_events`.</summary>
internal sealed class DeploymentStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        deployment_id AS DeploymentId, state AS State, model AS Model, engine_args AS EngineArgs, gpu_type AS GpuType,
        gpu_count AS GpuCount, model_profile::text AS ModelProfile, sizing::text AS Sizing, replicas AS Replicas,
        min_replicas AS MinReplicas, max_replicas AS MaxReplicas, max_surge AS MaxSurge, spot_mode AS SpotMode,
        on_demand_base AS OnDemandBase, placement_infra AS PlacementInfra, placement_spread AS PlacementSpread,
        provisioner AS Provisioner, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>Inserts the deployment and its CREATED event; null when the id is taken.</summary>
    public async Task<DeploymentRow?> CreateAsync(DeploymentRow row, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var created = await connection.QuerySingleOrDefaultAsync<DeploymentRow>(new CommandDefinition(
            $"""
            INSERT INTO deployments (deployment_id, state, model, engine_args, gpu_type, gpu_count, model_profile, sizing,
                                     replicas, min_replicas, max_replicas, max_surge, spot_mode, on_demand_base,
                                     placement_infra, placement_spread, provisioner)
            VALUES (@DeploymentId, @State, @Model, @EngineArgs, @GpuType, @GpuCount, @ModelProfile::jsonb, @Sizing::jsonb,
                    @Replicas, @MinReplicas, @MaxReplicas, @MaxSurge, @SpotMode, @OnDemandBase,
                    @PlacementInfra, @PlacementSpread, @Provisioner)
            ON CONFLICT (deployment_id) DO NOTHING
            RETURNING {Columns}
            """,
            row,
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (created is null)
        {
            return null;
        }

        await InsertEventAsync(connection, transaction, row.DeploymentId, "CREATED",
            $"{row.Replicas} replica(s) of {row.Model} on {row.GpuCount} × {row.GpuType} via {row.Provisioner}", "{}", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return created;
    }

    /// <summary>The deployment unless it is gone (deleted deployments keep their row for the events, hidden here).</summary>
    public async Task<DeploymentRow?> GetAsync(string deploymentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<DeploymentRow>(new CommandDefinition(
            $"SELECT {Columns} FROM deployments WHERE deployment_id = @deploymentId AND state <> {DeploymentRow.Deleted}",
            new { deploymentId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<DeploymentRow>> ListAsync(string afterId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<DeploymentRow>(new CommandDefinition(
            $"SELECT {Columns} FROM deployments WHERE deployment_id > @afterId AND state <> {DeploymentRow.Deleted} ORDER BY deployment_id LIMIT @limit",
            new { afterId, limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Writes the mutable fields of a deployment that is still active; false when it is not (gone, deleting).</summary>
    public async Task<DeploymentRow?> UpdateAsync(DeploymentRow row, string what, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var updated = await connection.QuerySingleOrDefaultAsync<DeploymentRow>(new CommandDefinition(
            $"""
            UPDATE deployments
               SET replicas = @Replicas, min_replicas = @MinReplicas, max_replicas = @MaxReplicas, max_surge = @MaxSurge,
                   spot_mode = @SpotMode, on_demand_base = @OnDemandBase, placement_infra = @PlacementInfra,
                   placement_spread = @PlacementSpread, engine_args = @EngineArgs, updated_at = now()
             WHERE deployment_id = @DeploymentId AND state = {DeploymentRow.Active}
            RETURNING {Columns}
            """,
            row,
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (updated is not null)
        {
            await InsertEventAsync(connection, transaction, row.DeploymentId, "UPDATED", what, "{}", cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return updated;
    }

    /// <summary>Moves an active deployment to DELETING; returns it, or null when it does not exist.</summary>
    public async Task<DeploymentRow?> MarkDeletingAsync(string deploymentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<DeploymentRow>(new CommandDefinition(
            $"""
            UPDATE deployments SET state = {DeploymentRow.Deleting}, updated_at = now()
             WHERE deployment_id = @deploymentId AND state <> {DeploymentRow.Deleted}
            RETURNING {Columns}
            """,
            new { deploymentId },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is not null)
        {
            await InsertEventAsync(connection, transaction, deploymentId, "DELETING", "deletion requested: draining and tearing down every node", "{}", cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return row;
    }

    /// <summary>Marks a DELETING deployment gone once none of its nodes holds a machine.</summary>
    public async Task<bool> FinishDeleteAsync(string deploymentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var done = await connection.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE deployments SET state = {DeploymentRow.Deleted}, updated_at = now()
             WHERE deployment_id = @deploymentId AND state = {DeploymentRow.Deleting}
               AND NOT EXISTS (SELECT 1 FROM nodes WHERE deployment_id = @deploymentId AND released_at IS NULL)
            """,
            new { deploymentId },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (done > 0)
        {
            await InsertEventAsync(connection, transaction, deploymentId, "DELETED", "every node torn down", "{}", cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return done > 0;
    }

    /// <summary>Deployments the reconciler works on (active and deleting).</summary>
    public async Task<IReadOnlyList<DeploymentRow>> ListLiveAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<DeploymentRow>(new CommandDefinition(
            $"SELECT {Columns} FROM deployments WHERE state IN ({DeploymentRow.Active}, {DeploymentRow.Deleting}) ORDER BY deployment_id",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    public async Task<IReadOnlyDictionary<string, ReplicaCounts>> CountsAsync(IReadOnlyCollection<string> deploymentIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ReplicaCounts>(new CommandDefinition(
            """
            SELECT deployment_id AS DeploymentId,
                   (count(*) FILTER (WHERE state IN (5, 6)))::int AS Ready,
                   (count(*) FILTER (WHERE state IN (1, 2, 3, 4)))::int AS Pending
              FROM nodes
             WHERE deployment_id = ANY(@ids) AND retiring_at IS NULL
             GROUP BY deployment_id
            """,
            new { ids = deploymentIds.ToArray() },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.ToDictionary(r => r.DeploymentId);
    }

    public async Task AppendEventAsync(string deploymentId, string kind, string reason, string detailJson, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await InsertEventAsync(connection, null, deploymentId, kind, reason, detailJson, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<DeploymentEventRow>> ListEventsAsync(string deploymentId, long beforeId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<DeploymentEventRow>(new CommandDefinition(
            """
            SELECT id AS Id, deployment_id AS DeploymentId, time AS Time, kind AS Kind, reason AS Reason, detail::text AS Detail
              FROM deployment_events WHERE deployment_id = @deploymentId AND id < @beforeId ORDER BY id DESC LIMIT @limit
            """,
            new { deploymentId, beforeId, limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    internal static Task InsertEventAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string deploymentId, string kind, string reason, string detailJson, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO deployment_events (deployment_id, kind, reason, detail) VALUES (@deploymentId, @kind, @reason, @detailJson::jsonb)",
            new { deploymentId, kind, reason, detailJson },
            transaction,
            cancellationToken: cancellationToken));
}
