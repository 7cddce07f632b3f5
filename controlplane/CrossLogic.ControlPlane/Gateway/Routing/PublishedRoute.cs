namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// One node's route as the control-plane replica holding its stream publishes it (`node_routes`), for the other
/// replicas' gateways.
/// </summary>
internal sealed class PublishedRoute
{
    public string NodeId { get; init; } = "";

    public long LeaseEpoch { get; init; }

    /// <summary>False: the holder no longer routes to it (drained, unreachable, stream gone).</summary>
    public bool Routable { get; init; }

    public string Model { get; init; } = "";

    public string EngineEndpoint { get; init; } = "";

    public bool Degraded { get; init; }

    /// <summary>The engine's queue from the holder's latest heartbeat.</summary>
    public int Waiting { get; init; }

    public double KvCacheUsage { get; init; }

    /// <summary>As read: how long until the row expires unless its holder refreshes it, by the database's clock.</summary>
    public double ExpiresInMs { get; init; }

    /// <summary>A route to a replica this process does not hold: routable and not expired.</summary>
    public bool Live => Routable && ExpiresInMs > 0;

    public static PublishedRoute Of(Replica replica) => new()
    {
        NodeId = replica.NodeId,
        LeaseEpoch = replica.LeaseEpoch,
        Routable = true,
        Model = replica.Model,
        EngineEndpoint = replica.Destination,
        Degraded = replica.Degraded,
        Waiting = replica.ReportedWaiting,
        KvCacheUsage = replica.ReportedKvCacheUsage,
    };

    public static PublishedRoute Out(string nodeId, long leaseEpoch) => new() { NodeId = nodeId, LeaseEpoch = leaseEpoch };
}
