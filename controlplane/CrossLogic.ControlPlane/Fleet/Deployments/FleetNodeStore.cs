using System.Text.Json;
using Dapper;
using CrossLogic.ControlPlane.Store;
using Npgsql;

namespace CrossLogic.ControlPlane.Fleet.Deployments;

/// <summary>
/// The fleet's writes to `nodes`: a decision and its side effect are one transaction (the node row and its outbox item),
/// so a crash can neither lose a launch nor do one twice. States: 1 requested, 2 provisioning, 8 terminated, 9 lost,
/// 10 failed.
/// </summary>
internal sealed class FleetNodeStore(NpgsqlDataSource dataSource, Observability.ControlPlaneMetrics metrics)
{
    private const string Columns = """
        node_id AS NodeId, state AS State, deployment_id AS DeploymentId, cluster_name AS ClusterName,
        provisioner AS Provisioner, cloud AS Cloud, region AS Region, spot AS Spot, price_per_hour AS PricePerHour,
        gpu_type AS GpuType, gpu_count AS GpuCount, model AS Model, engine_args AS EngineArgs, connected AS Connected,
        launched_at AS LaunchedAt, retiring_at AS RetiringAt, released_at AS ReleasedAt, failure_kind AS FailureKind,
        created_at AS CreatedAt, updated_at AS UpdatedAt, lease_epoch AS LeaseEpoch, probe_endpoint AS ProbeEndpoint, last_seen AS LastSeen
        """;

    /// <summary>Records a launch decision: the node (REQUESTED, cluster name = node id) and its launch item.</summary>
    public async Task CreateLaunchAsync(NewFleetNode node, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO nodes (node_id, state, token_hash, model, labels, deployment_id, cluster_name, provisioner, cloud, region,
                               spot, price_per_hour, gpu_type, gpu_count, engine_args)
            VALUES (@NodeId, 1, @TokenHash, @Model, @LabelsJson::jsonb, @DeploymentId, @NodeId, @Provisioner, @Cloud, @Region,
                    @Spot, @PricePerHour, @GpuType, @GpuCount, @EngineArgs)
            """,
            node,
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        await NodeStore.InsertEventAsync(connection, transaction, node.NodeId, "LAUNCH_DECIDED", reason, Detail(node), cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO outbox (kind, node_id, cluster_name, provisioner) VALUES ('launch', @NodeId, @NodeId, @Provisioner)",
            node,
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (node.DeploymentId is { } deploymentId)
        {
            await DeploymentStore.InsertEventAsync(connection, transaction, deploymentId, "LAUNCH", $"{node.NodeId}: {reason}", Detail(node), cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<FleetNode?> GetAsync(string nodeId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<FleetNode>(new CommandDefinition(
            $"SELECT {Columns} FROM nodes WHERE node_id = @nodeId", new { nodeId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Nodes of a deployment that still hold (or may hold) a machine.</summary>
    public async Task<IReadOnlyList<FleetNode>> HoldingMachinesAsync(string deploymentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<FleetNode>(new CommandDefinition(
            $"SELECT {Columns} FROM nodes WHERE deployment_id = @deploymentId AND released_at IS NULL ORDER BY created_at, node_id",
            new { deploymentId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Launches that failed since <paramref name="since"/>, for offer back-off.</summary>
    public async Task<IReadOnlyList<LaunchFailure>> RecentFailuresAsync(DateTime since, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<LaunchFailure>(new CommandDefinition(
            """
            SELECT provisioner AS Provisioner, cloud AS Cloud, region AS Region, spot AS Spot, gpu_type AS GpuType,
                   gpu_count AS GpuCount, failure_kind AS FailureKind, failed_at AS UpdatedAt
              FROM nodes WHERE failed_at >= @since
            """,
            new { since },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>
    /// Takes a node out of its deployment's count and queues its teardown (after a drain unless forced). A launch not
    /// yet started is cancelled; one in progress finishes first (the teardown waits for it). Idempotent.
    /// </summary>
    public async Task<FleetNode?> RetireAsync(string nodeId, string reason, TimeSpan drainTimeout, bool force, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var node = await connection.QuerySingleOrDefaultAsync<FleetNode>(new CommandDefinition(
            $"""
            UPDATE nodes SET retiring_at = coalesce(retiring_at, now()), updated_at = now()
             WHERE node_id = @nodeId AND cluster_name IS NOT NULL AND released_at IS NULL
            RETURNING {Columns}
            """,
            new { nodeId },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (node is null)
        {
            return null;
        }

        var cancelled = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE outbox SET done_at = now(), last_error = 'cancelled: the node was retired before its launch started'
             WHERE cluster_name = @ClusterName AND kind = 'launch' AND done_at IS NULL AND attempts = 0
            """,
            node,
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var payload = JsonSerializer.Serialize(new TeardownPayload(force || cancelled > 0, (int)drainTimeout.TotalSeconds));
        var queued = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO outbox (kind, node_id, cluster_name, provisioner, payload)
            VALUES ('teardown', @NodeId, @ClusterName, @Provisioner, @payload::jsonb)
            ON CONFLICT (cluster_name, kind) WHERE done_at IS NULL DO NOTHING
            """,
            new { node.NodeId, node.ClusterName, node.Provisioner, payload },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (queued > 0)
        {
            await NodeStore.InsertEventAsync(connection, transaction, nodeId, "RETIRING", reason, "{}", cancellationToken).ConfigureAwait(false);
            if (node.DeploymentId is { } deploymentId)
            {
                await DeploymentStore.InsertEventAsync(connection, transaction, deploymentId, "RETIRE", $"{nodeId}: {reason}", "{}", cancellationToken).ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return node;
    }

    /// <summary>REQUESTED → PROVISIONING as the worker starts the launch.</summary>
    public Task StartLaunchAsync(string nodeId, CancellationToken cancellationToken) =>
        TransitionAsync(nodeId, [1], 2, "provisioner launching the machine", "", cancellationToken);

    /// <summary>Stores the addresses the provisioner reported (never ones the agent claims).</summary>
    public async Task CompleteLaunchAsync(string nodeId, Provisioning.LaunchedCluster cluster, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE nodes SET launched_at = coalesce(launched_at, now()), probe_endpoint = @ProbeEndpoint, engine_endpoint = @EngineEndpoint,
                   cloud = CASE WHEN @Cloud <> '' THEN @Cloud ELSE cloud END, region = CASE WHEN @Region <> '' THEN @Region ELSE region END,
                   updated_at = now()
             WHERE node_id = @nodeId
            """,
            new { nodeId, cluster.ProbeEndpoint, cluster.EngineEndpoint, cluster.Cloud, cluster.Region },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var detail = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["probe_endpoint"] = cluster.ProbeEndpoint,
            ["engine_endpoint"] = cluster.EngineEndpoint,
            ["cloud"] = cluster.Cloud,
            ["region"] = cluster.Region,
        });
        await NodeStore.InsertEventAsync(connection, transaction, nodeId, "LAUNCHED", "the provisioner reports the machine up", detail, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A launch that failed for good: FAILED with its kind (for offer back-off), retired, and a teardown queued
    /// to make sure nothing half-made is left.</summary>
    public async Task FailLaunchAsync(string nodeId, string failureKind, string message, CancellationToken cancellationToken)
    {
        await TransitionAsync(nodeId, [1, 2, 3, 4, 5, 6, 7], 10, "launch failed: " + message, failureKind, cancellationToken).ConfigureAwait(false);
        var node = await GetAsync(nodeId, cancellationToken).ConfigureAwait(false);
        if (node?.DeploymentId is { } deploymentId)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await DeploymentStore.InsertEventAsync(connection, null, deploymentId, "LAUNCH_FAILED", $"{nodeId} ({failureKind}): {message}",
                JsonSerializer.Serialize(new Dictionary<string, string> { ["cloud"] = node.Cloud, ["region"] = node.Region, ["spot"] = node.Spot ? "true" : "false" }),
                cancellationToken).ConfigureAwait(false);
        }

        await RetireAsync(nodeId, "launch failed", TimeSpan.Zero, force: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The machine is confirmed gone: the node ends TERMINATED (FAILED and LOST keep their verdict).</summary>
    public async Task MarkReleasedAsync(string nodeId, string reason, CancellationToken cancellationToken)
    {
        await TransitionAsync(nodeId, [1, 2, 3, 4, 5, 6, 7, 11], 8, reason, "", cancellationToken).ConfigureAwait(false);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE nodes SET released_at = coalesce(released_at, now()), connected = false, updated_at = now() WHERE node_id = @nodeId",
            new { nodeId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The provider no longer knows the machine (or it stopped): LOST and retired, so it is replaced.</summary>
    public async Task MarkLostAsync(string nodeId, string reason, CancellationToken cancellationToken)
    {
        await TransitionAsync(nodeId, [1, 2, 3, 4, 5, 6, 7, 10, 11], 9, reason, "", cancellationToken).ConfigureAwait(false);
        var node = await GetAsync(nodeId, cancellationToken).ConfigureAwait(false);
        if (node?.DeploymentId is { } deploymentId)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await DeploymentStore.InsertEventAsync(connection, null, deploymentId, "NODE_LOST", $"{nodeId}: {reason}", "{}", cancellationToken).ConfigureAwait(false);
        }

        // A stopped machine still exists (and may bill): tear it down; a vanished one is confirmed gone by the teardown.
        await RetireAsync(nodeId, reason, TimeSpan.Zero, force: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Launched nodes the health decider must look at: judged Unreachable, or serving by the table but with no stream
    /// (closed, or no heartbeat written for <paramref name="staleAfter"/>: the replica that held it may be gone).
    /// </summary>
    public async Task<IReadOnlyList<FleetNode>> SuspectsAsync(TimeSpan staleAfter, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<FleetNode>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM nodes
             WHERE cluster_name IS NOT NULL AND launched_at IS NOT NULL AND released_at IS NULL AND retiring_at IS NULL AND fenced_at IS NULL
               AND (state = 11 OR (state IN (3, 4, 5, 6) AND (NOT connected OR last_seen < now() - make_interval(secs => @stale))))
            """,
            new { stale = staleAfter.TotalSeconds },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Serving by the table, but neither a stream nor a probe reaches it: Unreachable, at the epoch it was judged.</summary>
    public Task MarkUnreachableAsync(string nodeId, long leaseEpoch, string reason, CancellationToken cancellationToken) =>
        TransitionAsync(nodeId, [3, 4, 5, 6], 11, reason, "", cancellationToken, leaseEpoch);

    /// <summary>
    /// Fences a node at the lease epoch it was judged at: whatever its agent says later, it is told to shut down and
    /// never routed. False when the node moved on (a newer attach) or was fenced already.
    /// </summary>
    public async Task<bool> FenceAsync(string nodeId, long leaseEpoch, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var fenced = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE nodes SET fenced_at = now(), updated_at = now() WHERE node_id = @nodeId AND lease_epoch = @leaseEpoch AND fenced_at IS NULL",
            new { nodeId, leaseEpoch },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (fenced == 0)
        {
            return false;
        }

        await NodeStore.InsertEventAsync(connection, transaction, nodeId, "FENCED", reason,
            JsonSerializer.Serialize(new Dictionary<string, string> { ["lease_epoch"] = leaseEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Cluster names the database knows and still holds, per provisioner (what is not here is an orphan).</summary>
    public async Task<IReadOnlyCollection<string>> HeldClusterNamesAsync(string provisioner, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT cluster_name FROM nodes WHERE provisioner = @provisioner AND cluster_name IS NOT NULL AND released_at IS NULL",
            new { provisioner },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Launched nodes still counted as serving, whose machine the provider must know.</summary>
    public async Task<IReadOnlyList<FleetNode>> LaunchedAsync(string provisioner, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<FleetNode>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM nodes
             WHERE provisioner = @provisioner AND launched_at IS NOT NULL AND released_at IS NULL AND retiring_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.cluster_name = nodes.cluster_name AND o.done_at IS NULL)
            """,
            new { provisioner },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <param name="leaseEpoch">When given, only that session's node, and only if it is not fenced.</param>
    private async Task TransitionAsync(string nodeId, short[] from, short to, string reason, string failureKind, CancellationToken cancellationToken, long? leaseEpoch = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var previous = await connection.QuerySingleOrDefaultAsync<short?>(new CommandDefinition(
            """
            WITH old AS (SELECT state FROM nodes WHERE node_id = @nodeId FOR UPDATE)
            UPDATE nodes SET state = @to, state_reason = @reason, updated_at = now(),
                   failure_kind = CASE WHEN @failureKind <> '' THEN @failureKind ELSE failure_kind END,
                   failed_at = CASE WHEN @failureKind <> '' THEN now() ELSE failed_at END
              FROM old WHERE nodes.node_id = @nodeId AND old.state = ANY(@from)
               AND (CAST(@leaseEpoch AS bigint) IS NULL OR (nodes.lease_epoch = @leaseEpoch AND nodes.fenced_at IS NULL))
            RETURNING old.state
            """,
            new { nodeId, from, to, reason, failureKind, leaseEpoch },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (previous is { } was && was != to)
        {
            await NodeStore.InsertTransitionAsync(connection, transaction, nodeId, was, to, reason, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            metrics.NodeTransition((Contracts.V1.Node.Types.State)to);
            return;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Detail(NewFleetNode node) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["provisioner"] = node.Provisioner,
        ["cloud"] = node.Cloud,
        ["region"] = node.Region,
        ["spot"] = node.Spot ? "true" : "false",
        ["gpus"] = $"{node.GpuType}:{node.GpuCount}",
        ["price_per_hour"] = node.PricePerHour.ToString("0.#####", System.Globalization.CultureInfo.InvariantCulture),
    });
}

/// <summary>How a teardown goes: drain first for up to <see cref="DrainSeconds"/>, unless <see cref="Force"/>.</summary>
internal sealed record TeardownPayload(bool Force, int DrainSeconds);
