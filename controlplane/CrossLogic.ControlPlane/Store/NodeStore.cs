using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Store;

/// <summary>Reads and writes `nodes` and `node_events`. Every multi-row change is one transaction.</summary>
internal sealed class NodeStore(NpgsqlDataSource dataSource)
{
    private const string NodeColumns = """
        node_id AS NodeId, state AS State, connected AS Connected, lease_epoch AS LeaseEpoch, last_seen AS LastSeen,
        last_heartbeat_sequence AS LastHeartbeatSequence, boot_id AS BootId, agent_version AS AgentVersion,
        host_facts AS HostFacts, gpus AS Gpus, reported_probe_endpoint AS ReportedProbeEndpoint,
        probe_endpoint AS ProbeEndpoint, labels::text AS Labels, created_at AS CreatedAt, updated_at AS UpdatedAt,
        state_reason AS StateReason, engine_log_tail AS EngineLogTail, engine_endpoint AS EngineEndpoint, model AS Model,
        deployment_id AS DeploymentId, cluster_name AS ClusterName, provisioner AS Provisioner, cloud AS Cloud, region AS Region,
        spot AS Spot, price_per_hour AS PricePerHour, gpu_type AS GpuType, gpu_count AS GpuCount, retiring_at AS RetiringAt
        """;

    /// <summary>Inserts a node with its token hash; null when the id is taken.</summary>
    public async Task<NodeRecord?> CreateAsync(NewNode node, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var created = await connection.QuerySingleOrDefaultAsync<NodeRecord>(new CommandDefinition(
            $"""
            INSERT INTO nodes (node_id, state, token_hash, probe_endpoint, engine_endpoint, model, labels)
            VALUES (@NodeId, @State, @TokenHash, @ProbeEndpoint, @EngineEndpoint, @Model, @LabelsJson::jsonb)
            ON CONFLICT (node_id) DO NOTHING
            RETURNING {NodeColumns}
            """,
            node,
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (created is null)
        {
            return null;
        }

        await InsertEventAsync(connection, transaction, node.NodeId, "NODE_CREATED", "registered through the admin API", "{}", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return created;
    }

    public async Task<NodeRecord?> GetAsync(string nodeId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<NodeRecord>(new CommandDefinition(
            $"SELECT {NodeColumns} FROM nodes WHERE node_id = @nodeId", new { nodeId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Nodes ordered by id, strictly after <paramref name="afterNodeId"/> (keyset paging).</summary>
    public async Task<IReadOnlyList<NodeRecord>> ListAsync(string afterNodeId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<NodeRecord>(new CommandDefinition(
            $"SELECT {NodeColumns} FROM nodes WHERE node_id > @afterNodeId ORDER BY node_id LIMIT @limit",
            new { afterNodeId, limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>The node a token hash belongs to, or null.</summary>
    public async Task<string?> FindNodeByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT node_id FROM nodes WHERE token_hash = @tokenHash", new { tokenHash }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Records an accepted Hello: a new lease epoch, the agent's facts, and the events. Returns the new epoch and state.</summary>
    public async Task<AttachResult> AttachAsync(AttachRecord attach, short attachedState, IReadOnlyCollection<short> statesThatBecomeAttached, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var previous = await connection.QuerySingleAsync<(short State, string BootId)>(new CommandDefinition(
            "SELECT state, boot_id FROM nodes WHERE node_id = @NodeId FOR UPDATE", attach, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var newState = statesThatBecomeAttached.Contains(previous.State) ? attachedState : previous.State;
        var (epoch, engineEndpoint, model, retiring, probeEndpoint, fenced) = await connection.QuerySingleAsync<(long, string, string, bool, string, bool)>(new CommandDefinition(
            """
            UPDATE nodes
               SET lease_epoch = lease_epoch + 1, connected = true, last_seen = @Now, last_heartbeat_sequence = 0,
                   boot_id = @BootId, agent_version = @AgentVersion, host_facts = @HostFacts, gpus = @Gpus,
                   reported_probe_endpoint = @ReportedProbeEndpoint, state = @newState, updated_at = @Now
             WHERE node_id = @NodeId
            RETURNING lease_epoch, engine_endpoint, model, retiring_at IS NOT NULL, probe_endpoint, fenced_at IS NOT NULL OR state IN (8, 9)
            """,
            new { attach.NodeId, attach.Now, attach.BootId, attach.AgentVersion, attach.HostFacts, attach.Gpus, attach.ReportedProbeEndpoint, newState },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);

        var detail = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["lease_epoch"] = epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["boot_id"] = attach.BootId,
            ["agent_version"] = attach.AgentVersion,
        });
        var reason = previous.BootId.Length > 0 && previous.BootId != attach.BootId ? "agent attached after a reboot" : "agent attached";
        await InsertEventAsync(connection, transaction, attach.NodeId, "LINK_ATTACHED", reason, detail, cancellationToken).ConfigureAwait(false);
        if (newState != previous.State)
        {
            await InsertTransitionAsync(connection, transaction, attach.NodeId, previous.State, newState, "agent attached", cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new AttachResult(epoch, newState, engineEndpoint, model, retiring, probeEndpoint, fenced);
    }

    /// <summary>Records the end of a stream, unless a newer attach (higher epoch) already owns the node.</summary>
    public async Task DetachAsync(string nodeId, long leaseEpoch, DateTime lastSeen, long sequence, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE nodes SET connected = false, last_seen = GREATEST(last_seen, @lastSeen),
                   last_heartbeat_sequence = GREATEST(last_heartbeat_sequence, @sequence), updated_at = now()
             WHERE node_id = @nodeId AND lease_epoch = @leaseEpoch
            """,
            new { nodeId, leaseEpoch, lastSeen, sequence },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var detail = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["lease_epoch"] = leaseEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await InsertEventAsync(connection, transaction, nodeId, "LINK_CLOSED", updated == 0 ? reason + " (superseded by a newer attach)" : reason, detail, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the latest heartbeat of many nodes in one statement; rows of a stale epoch are ignored.</summary>
    public async Task<int> FlushHeartbeatsAsync(IReadOnlyList<HeartbeatRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return 0;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE nodes AS n
               SET last_seen = GREATEST(n.last_seen, b.last_seen),
                   last_heartbeat_sequence = GREATEST(n.last_heartbeat_sequence, b.sequence)
              FROM unnest(@ids, @epochs, @seen, @sequences) AS b(node_id, lease_epoch, last_seen, sequence)
             WHERE n.node_id = b.node_id AND n.lease_epoch = b.lease_epoch
            """,
            new
            {
                ids = rows.Select(r => r.NodeId).ToArray(),
                epochs = rows.Select(r => r.LeaseEpoch).ToArray(),
                seen = rows.Select(r => r.LastSeen).ToArray(),
                sequences = rows.Select(r => r.Sequence).ToArray(),
            },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Moves a node to a derived state with its reason, unless a newer attach owns it. False when fenced.</summary>
    public async Task<bool> TransitionAsync(string nodeId, long leaseEpoch, short from, short to, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            // Terminated and Lost are the fleet's verdicts: what a lingering agent reports does not undo them.
            "UPDATE nodes SET state = @to, state_reason = @reason, updated_at = now() WHERE node_id = @nodeId AND lease_epoch = @leaseEpoch AND state NOT IN (8, 9) AND fenced_at IS NULL",
            new { nodeId, leaseEpoch, to, reason },
            transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (updated == 0)
        {
            return false;
        }

        await InsertTransitionAsync(connection, transaction, nodeId, from, to, reason.Length > 0 ? reason : "reported by the agent", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Keeps the engine's last output (from an exit or crash loop) on the node, for GetNode.</summary>
    public async Task SetEngineLogTailAsync(string nodeId, long leaseEpoch, string logTail, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE nodes SET engine_log_tail = @logTail WHERE node_id = @nodeId AND lease_epoch = @leaseEpoch",
            new { nodeId, leaseEpoch, logTail },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Stores an agent event once, however often it is resent.</summary>
    public async Task AppendAgentEventAsync(AgentEventRow row, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO node_events (node_id, time, kind, reason, detail, agent_start_time, agent_sequence)
            VALUES (@NodeId, @Time, @Kind, @Reason, @DetailJson::jsonb, @AgentStartTime, @Sequence)
            ON CONFLICT (node_id, agent_start_time, agent_sequence) WHERE agent_sequence IS NOT NULL DO NOTHING
            """,
            row,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Records an event the control plane itself raised (for example the gateway ejecting a replica).</summary>
    public async Task AppendEventAsync(string nodeId, string kind, string reason, string detailJson, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await InsertEventAsync(connection, null, nodeId, kind, reason, detailJson, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when the node recorded an event of this kind at or after <paramref name="since"/>.</summary>
    public async Task<bool> HasEventSinceAsync(string nodeId, string kind, DateTime since, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM node_events WHERE node_id = @nodeId AND kind = @kind AND time >= @since)",
            new { nodeId, kind, since },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Served model names of nodes that are not gone: a model here exists even while none of it is ready.</summary>
    public async Task<IReadOnlyList<string>> ActiveModelsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT model FROM nodes WHERE model <> '' AND state NOT IN (8, 9)", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Events of one node, newest first, strictly older than <paramref name="beforeId"/>.</summary>
    public async Task<IReadOnlyList<NodeEventRow>> ListEventsAsync(string nodeId, long beforeId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<NodeEventRow>(new CommandDefinition(
            """
            SELECT id AS Id, node_id AS NodeId, time AS Time, kind AS Kind, reason AS Reason, detail::text AS Detail
              FROM node_events WHERE node_id = @nodeId AND id < @beforeId ORDER BY id DESC LIMIT @limit
            """,
            new { nodeId, beforeId, limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>A `STATE_CHANGED` event, in the caller's transaction (also the fleet's transitions).</summary>
    internal static Task InsertTransitionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string nodeId, short from, short to, string reason, CancellationToken cancellationToken)
    {
        var detail = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["from"] = NodeStates.Name(from),
            ["to"] = NodeStates.Name(to),
        });
        return InsertEventAsync(connection, transaction, nodeId, "STATE_CHANGED", reason, detail, cancellationToken);
    }

    /// <summary>One `node_events` row raised by the control plane, in the caller's transaction if any.</summary>
    internal static Task InsertEventAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string nodeId, string kind, string reason, string detailJson, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO node_events (node_id, kind, reason, detail) VALUES (@nodeId, @kind, @reason, @detailJson::jsonb)",
            new { nodeId, kind, reason, detailJson },
            transaction,
            cancellationToken: cancellationToken));
}
