using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Link.Relay;

/// <summary>
/// `node_commands`: commands passed from the replica an operator (or the reconciler) asked to the replica that holds
/// the node's stream. Every change of state is conditional on the state before, so a command is claimed once, and
/// either claimed or expired, never both.
/// </summary>
internal sealed class NodeCommandStore(NpgsqlDataSource dataSource)
{
    /// <summary>The NOTIFY channel; each payload is `node_id command_id`.</summary>
    public const string Channel = "crosslogic_node_commands";

    public const string Pending = "pending";
    public const string Claimed = "claimed";
    public const string Delivered = "delivered";
    public const string Acknowledged = "acknowledged";
    public const string Failed = "failed";
    public const string Expired = "expired";

    /// <summary>Writes a command and announces it at commit.</summary>
    public async Task RequestAsync(string commandId, string nodeId, byte[] message, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            $"""
            WITH requested AS (
                INSERT INTO node_commands (command_id, node_id, message) VALUES (@commandId, @nodeId, @message)
                RETURNING node_id || ' ' || command_id AS payload)
            SELECT pg_notify('{Channel}', payload) FROM requested
            """,
            new { commandId, nodeId, message },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Takes a pending command younger than <paramref name="maxAge"/> for <paramref name="holder"/>; null when
    /// another replica took it first, or it expired.</summary>
    public async Task<byte[]?> ClaimAsync(string commandId, string holder, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<byte[]>(new CommandDefinition(
            """
            UPDATE node_commands SET state = 'claimed', claimed_by = @holder, updated_at = now()
             WHERE command_id = @commandId AND state = 'pending' AND requested_at > now() - @maxAge
            RETURNING message
            """,
            new { commandId, holder, maxAge },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Pending commands younger than <paramref name="maxAge"/>: (node id, command id), oldest first.</summary>
    public static async Task<IReadOnlyList<(string NodeId, string CommandId)>> PendingAsync(NpgsqlConnection connection, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(string, string)>(new CommandDefinition(
            "SELECT node_id, command_id FROM node_commands WHERE state = 'pending' AND requested_at > now() - @maxAge ORDER BY requested_at",
            new { maxAge },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Records what became of a claimed command.</summary>
    public async Task CompleteAsync(string commandId, string state, bool? ok, string error, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE node_commands SET state = @state, ok = @ok, error = @error, updated_at = now() WHERE command_id = @commandId",
            new { commandId, state, ok, error },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Expires a command nobody claimed; false when a replica claimed it first.</summary>
    public async Task<bool> ExpireAsync(string commandId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE node_commands SET state = 'expired', updated_at = now() WHERE command_id = @commandId AND state = 'pending'",
            new { commandId },
            cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
    }

    public async Task<(string State, bool? Ok, string Error)> GetAsync(string commandId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleAsync<(string, bool?, string)>(new CommandDefinition(
            "SELECT state, ok, error FROM node_commands WHERE command_id = @commandId",
            new { commandId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Forgets commands older than <paramref name="age"/>; returns how many.</summary>
    public async Task<int> PruneAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM node_commands WHERE requested_at < now() - @age", new { age }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
