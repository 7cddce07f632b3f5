using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// `node_routes`: what each control-plane replica routes from the streams it holds. A write never replaces a row of a
/// newer lease epoch, so a replica that has not yet noticed its stream is gone cannot undo the route the agent's new
/// session published elsewhere. Reads take the time left on each row by the database's clock, never a replica's.
/// </summary>
internal sealed class RouteStore(NpgsqlDataSource dataSource)
{
    /// <summary>The NOTIFY channel; each notification's payload is a node id whose row changed.</summary>
    public const string Channel = "crosslogic_routes";

    private const string Columns = """
        node_id AS NodeId, lease_epoch AS LeaseEpoch, routable AS Routable, model AS Model,
        engine_endpoint AS EngineEndpoint, degraded AS Degraded, waiting AS Waiting, kv_cache_usage AS KvCacheUsage,
        extract(epoch FROM expires_at - now()) * 1000 AS ExpiresInMs
        """;

    /// <summary>
    /// Writes <paramref name="routes"/> as <paramref name="holder"/>'s, each to expire after <paramref name="ttl"/>;
    /// with <paramref name="notify"/>, every row written is announced at commit. Rows of unknown nodes and rows a newer
    /// epoch owns are skipped. Returns how many rows were written.
    /// </summary>
    public async Task<int> PublishAsync(IReadOnlyList<PublishedRoute> routes, string holder, TimeSpan ttl, bool notify, CancellationToken cancellationToken)
    {
        if (routes.Count == 0)
        {
            return 0;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"""
            WITH written AS (
                INSERT INTO node_routes AS r (node_id, lease_epoch, holder, routable, model, engine_endpoint, degraded, waiting, kv_cache_usage, expires_at, updated_at)
                SELECT u.node_id, u.lease_epoch, @holder, u.routable, u.model, u.engine_endpoint, u.degraded, u.waiting, u.kv_cache_usage, now() + @ttl, now()
                  FROM unnest(@nodes, @epochs, @routable, @models, @endpoints, @degraded, @waiting, @kv)
                       AS u(node_id, lease_epoch, routable, model, engine_endpoint, degraded, waiting, kv_cache_usage)
                 WHERE EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = u.node_id)
                ON CONFLICT (node_id) DO UPDATE
                   SET lease_epoch = excluded.lease_epoch, holder = excluded.holder, routable = excluded.routable,
                       model = excluded.model, engine_endpoint = excluded.engine_endpoint, degraded = excluded.degraded,
                       waiting = excluded.waiting, kv_cache_usage = excluded.kv_cache_usage,
                       expires_at = excluded.expires_at, updated_at = excluded.updated_at
                 WHERE r.lease_epoch <= excluded.lease_epoch
                RETURNING node_id)
            SELECT count({(notify ? $"pg_notify('{Channel}', node_id)" : "*")})::int FROM written
            """,
            new
            {
                holder,
                ttl,
                nodes = routes.Select(r => r.NodeId).ToArray(),
                epochs = routes.Select(r => r.LeaseEpoch).ToArray(),
                routable = routes.Select(r => r.Routable).ToArray(),
                models = routes.Select(r => r.Model).ToArray(),
                endpoints = routes.Select(r => r.EngineEndpoint).ToArray(),
                degraded = routes.Select(r => r.Degraded).ToArray(),
                waiting = routes.Select(r => r.Waiting).ToArray(),
                kv = routes.Select(r => r.KvCacheUsage).ToArray(),
            },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Every live route some other replica holds.</summary>
    public static async Task<IReadOnlyList<PublishedRoute>> ReadPeersAsync(NpgsqlConnection connection, string holder, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<PublishedRoute>(new CommandDefinition(
            $"SELECT {Columns} FROM node_routes WHERE holder <> @holder AND routable AND expires_at > now()",
            new { holder },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>The rows of <paramref name="nodeIds"/> that some other replica wrote, live or not.</summary>
    public static async Task<IReadOnlyList<PublishedRoute>> ReadAsync(NpgsqlConnection connection, string[] nodeIds, string holder, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<PublishedRoute>(new CommandDefinition(
            $"SELECT {Columns} FROM node_routes WHERE node_id = ANY(@nodeIds) AND holder <> @holder",
            new { nodeIds, holder },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }
}
