namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// One routable engine: where it is, what the gateway has outstanding on it, what its agent last reported about its
/// queue and KV cache, and whether passive health has taken it out of rotation for a while.
/// </summary>
internal sealed class Replica(string nodeId, long leaseEpoch, string model, string destination, bool peer = false)
{
    private int _inFlight;
    private int _consecutiveFailures;
    private long _ejectedUntil;
    private volatile bool _out;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Uri> _engineUris = new(StringComparer.Ordinal);

    public string NodeId { get; } = nodeId;

    /// <summary>For rendezvous hashing (prefix affinity).</summary>
    public ulong NodeHash { get; } = ReplicaPicker.Hash(System.Text.Encoding.UTF8.GetBytes(nodeId));

    public long LeaseEpoch { get; } = leaseEpoch;

    public string Model { get; } = model;

    /// <summary>Its stream is held by another control-plane replica, which published the route.</summary>
    public bool Peer { get; } = peer;

    /// <summary>The engine's base address, `http://host:port/`.</summary>
    public string Destination { get; } = destination;

    /// <summary>The engine's URL for an API path (`v1/chat/completions`), parsed once per replica and path.</summary>
    public Uri EngineUri(string path) => _engineUris.GetOrAdd(path, static (p, destination) => new Uri(destination + p), Destination);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>`vllm:num_requests_waiting` from the latest heartbeat.</summary>
    public int ReportedWaiting { get; set; }

    /// <summary>KV-cache usage (0–1) from the latest heartbeat.</summary>
    public double ReportedKvCacheUsage { get; set; }

    /// <summary>Serving, but with a problem: used only when no healthy replica is left.</summary>
    public bool Degraded { get; set; }

    /// <summary>Lower is better: outstanding requests plus the engine's queue, and a steep penalty near a full KV cache.</summary>
    public double Load
    {
        get
        {
            var kv = ReportedKvCacheUsage;
            return InFlight + ReportedWaiting + (kv > 0.9 ? (kv - 0.9) * 100 : 0);
        }
    }

    /// <summary>Taken out of routing (a verdict, a drain, a new session): never sent another request. A request that
    /// picked it from an older snapshot checks this after counting itself in flight, and picks again.</summary>
    public bool IsOut => _out;

    public void MarkOut() => _out = true;

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void Finished() => Interlocked.Decrement(ref _inFlight);

    public bool IsEjected(long now) => now < Volatile.Read(ref _ejectedUntil);

    public void Succeeded() => Volatile.Write(ref _consecutiveFailures, 0);

    /// <summary>Counts a failure; true when this one ejects the replica (until <paramref name="ejectUntil"/>).</summary>
    public bool Failed(int threshold, long ejectUntil)
    {
        if (Interlocked.Increment(ref _consecutiveFailures) < threshold)
        {
            return false;
        }

        Volatile.Write(ref _consecutiveFailures, 0);
        Volatile.Write(ref _ejectedUntil, ejectUntil);
        return true;
    }
}
