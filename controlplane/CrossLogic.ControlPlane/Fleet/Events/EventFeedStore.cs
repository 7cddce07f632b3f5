using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Fleet.Events;

/// <summary>Reads node and deployment events by id for the event feed: the latest few, then everything after a cursor.</summary>
internal sealed class EventFeedStore(NpgsqlDataSource dataSource)
{
    public sealed record Row(bool IsNode, long Id, string Subject, DateTime Time, string Kind, string Reason, string Detail);

    /// <summary>The newest <paramref name="limit"/> events of each kind (with the subject filter), oldest first.</summary>
    public async Task<IReadOnlyList<Row>> LatestAsync(int limit, string? nodeId, string? deploymentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            (SELECT true AS IsNode, id AS Id, node_id AS Subject, time AS Time, kind AS Kind, reason AS Reason, detail::text AS Detail
               FROM node_events WHERE @wantNodes AND (@nodeId::text IS NULL OR node_id = @nodeId) ORDER BY id DESC LIMIT @limit)
            UNION ALL
            (SELECT false, id, deployment_id, time, kind, reason, detail::text
               FROM deployment_events WHERE @wantDeployments AND (@deploymentId::text IS NULL OR deployment_id = @deploymentId) ORDER BY id DESC LIMIT @limit)
            """,
            new { limit, nodeId, deploymentId, wantNodes = deploymentId is null, wantDeployments = nodeId is null },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.OrderBy(r => r.Time).ThenBy(r => r.Id).TakeLast(limit)];
    }

    /// <summary>Events with ids above the cursors, oldest first; at most <paramref name="limit"/> of each kind.</summary>
    public async Task<IReadOnlyList<Row>> AfterAsync(long nodeCursor, long deploymentCursor, int limit, string? nodeId, string? deploymentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            (SELECT true AS IsNode, id AS Id, node_id AS Subject, time AS Time, kind AS Kind, reason AS Reason, detail::text AS Detail
               FROM node_events WHERE @wantNodes AND id > @nodeCursor AND (@nodeId::text IS NULL OR node_id = @nodeId) ORDER BY id LIMIT @limit)
            UNION ALL
            (SELECT false, id, deployment_id, time, kind, reason, detail::text
               FROM deployment_events WHERE @wantDeployments AND id > @deploymentCursor AND (@deploymentId::text IS NULL OR deployment_id = @deploymentId) ORDER BY id LIMIT @limit)
            """,
            new { nodeCursor, deploymentCursor, limit, nodeId, deploymentId, wantNodes = deploymentId is null, wantDeployments = nodeId is null },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.OrderBy(r => r.Time).ThenBy(r => r.Id)];
    }

    /// <summary>The highest ids now: where a feed that asked for no backlog starts.</summary>
    public async Task<(long Node, long Deployment)> CursorsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT coalesce((SELECT max(id) FROM node_events), 0), coalesce((SELECT max(id) FROM deployment_events), 0)",
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
