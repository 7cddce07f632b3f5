using System.ComponentModel.DataAnnotations;

namespace CrossLogic.ControlPlane.Gateway;

/// <summary>The inference gateway (`Gateway:*`).</summary>
internal sealed class GatewayOptions : IValidatableObject
{
    /// <summary>Secret from which each node's engine API key is derived (HMAC-SHA256 of the node id).</summary>
    [Required(ErrorMessage = "Gateway:EngineKeySecret is required (at least 32 characters)")]
    [MinLength(32, ErrorMessage = "Gateway:EngineKeySecret must be at least 32 characters")]
    public string EngineKeySecret { get; set; } = "";

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    [Range(1024, 256 << 20)]
    public int MaxRequestBodyBytes { get; set; } = 4 << 20;

    /// <summary>How long a validated key is trusted before it is read again; revocation on another replica takes this long.</summary>
    [Range(0, 300)]
    public int KeyCacheSeconds { get; set; } = 5;

    /// <summary>While the database is unreachable, a key validated within this window keeps working.</summary>
    [Range(0, 86400)]
    public int KeyStaleGraceSeconds { get; set; } = 600;

    /// <summary>
    /// How often each replica shares what it admitted and charged per API key with the others, and charges what they
    /// did: with several replicas, a key's limits hold across all of them, overshot by at most one interval's use.
    /// </summary>
    [Range(100, 60000)]
    public int RateLimitSyncMs { get; set; } = 1000;

    /// <summary>Largest `n` (choices per request) accepted.</summary>
    [Range(1, 128)]
    public int MaxChoices { get; set; } = 16;

    /// <summary>An upstream that sends nothing for this long is cut (a stream may pause between tokens).</summary>
    [Range(1, 3600)]
    public int UpstreamIdleTimeoutSeconds { get; set; } = 300;

    /// <summary>Consecutive failures (connect errors, 5xx) that take a replica out of rotation…</summary>
    [Range(1, 1000)]
    public int EjectAfterFailures { get; set; } = 3;

    /// <summary>…for this long.</summary>
    [Range(1, 3600)]
    public int EjectSeconds { get; set; } = 10;

    /// <summary>Send requests with the same leading prompt to the same replica while it is not overloaded (vLLM's prefix cache).</summary>
    public bool PrefixAffinity { get; set; } = true;

    /// <summary>
    /// How many leading characters of the prompt's JSON make the affinity key (counted as UTF-8 bytes, so one per ASCII
    /// character); shorter prompts are balanced by load alone.
    /// </summary>
    [Range(16, 65536)]
    public int PrefixAffinityChars { get; set; } = 256;

    /// <summary>How many more outstanding requests than the best of two random replicas the affinity replica may have.</summary>
    [Range(0, 10000)]
    public int PrefixAffinitySlack { get; set; } = 4;

    /// <summary>`Retry-After` seconds when no replica of a model is ready.</summary>
    [Range(1, 3600)]
    public int NoReplicaRetryAfterSeconds { get; set; } = 5;

    /// <summary>Usage rows are written in batches this often (the first row of a batch waits at most this long).</summary>
    [Range(10, 60000)]
    public int UsageFlushIntervalMs { get; set; } = 1000;

    /// <summary>The most usage rows one statement writes.</summary>
    [Range(1, 100000)]
    public int UsageBatchSize { get; set; } = 1000;

    /// <summary>Usage rows held in memory while the database is away; beyond this the oldest are dropped and logged.</summary>
    [Range(1000, 100_000_000)]
    public int UsageBufferLimit { get; set; } = 1_000_000;

    /// <summary>
    /// How often this replica republishes the routes of the streams it holds (their load, and that it is alive), and
    /// how often it rereads every route the other replicas publish. Changes themselves travel at once (NOTIFY).
    /// </summary>
    [Range(1, 60)]
    public int PeerRouteRefreshSeconds { get; set; } = 2;

    /// <summary>
    /// A published route its holder stops refreshing (the holder died, or lost the database) leaves the other replicas'
    /// routing after this long. Until then they keep sending to an engine nothing has found wrong with, while its agent
    /// attaches to another replica.
    /// </summary>
    [Range(2, 600)]
    public int PeerRouteTtlSeconds { get; set; } = 10;

    /// <summary>
    /// While this replica cannot read the database, it keeps routing to the other replicas' nodes as it last read them
    /// for this long (passive health guards them), then routes only to the nodes whose streams it holds.
    /// </summary>
    [Range(0, 86400)]
    public int PeerRouteStaleGraceSeconds { get; set; } = 600;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PeerRouteTtlSeconds < 2 * PeerRouteRefreshSeconds)
        {
            yield return new ValidationResult(
                $"Gateway:PeerRouteTtlSeconds ({PeerRouteTtlSeconds}) must be at least twice Gateway:PeerRouteRefreshSeconds ({PeerRouteRefreshSeconds}): one late refresh must not drop a live route",
                [nameof(PeerRouteTtlSeconds)]);
        }
    }
}
