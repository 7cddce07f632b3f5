using System.ComponentModel.DataAnnotations;

namespace CrossLogic.ControlPlane.Fleet;

/// <summary>`Fleet:*`: provisioners, the reconciler's pace, back-offs and limits.</summary>
internal sealed class FleetOptions
{
    /// <summary>Provisioners this control plane may use: `local`, `skypilot`.</summary>
    public List<string> Provisioners { get; set; } = ["local"];

    /// <summary>The provisioner of deployments and launches that name none.</summary>
    [Required]
    public string DefaultProvisioner { get; set; } = "local";

    /// <summary>SkyPilot's catalog directory (as SkyPilot caches it, e.g. ~/.sky/catalogs/v8), for offers and prices.</summary>
    public string CatalogDirectory { get; set; } = "";

    /// <summary>How often the leader reconciles every deployment (it also does at once after a change here).</summary>
    [Range(100, 600_000)]
    public int ReconcileIntervalMs { get; set; } = 5_000;

    /// <summary>How often the leader compares the provider's clusters with the database (orphans, ghosts). Listing
    /// clusters is slow and rate-limited by clouds.</summary>
    [Range(500, 3_600_000)]
    public int CloudSyncIntervalMs { get; set; } = 60_000;

    /// <summary>A `cic-` cluster unknown to the database is torn down once it is this old (a launch may be in flight).</summary>
    [Range(0, 86_400)]
    public int OrphanGraceSeconds { get; set; } = 900;

    /// <summary>An offer whose launch failed for capacity is skipped this long.</summary>
    [Range(0, 86_400)]
    public int CapacityBackoffSeconds { get; set; } = 600;

    /// <summary>A cloud/region whose quota or credentials failed is skipped this long.</summary>
    [Range(0, 86_400)]
    public int QuotaBackoffSeconds { get; set; } = 1_800;

    /// <summary>How long a drain may take before the machine is torn down anyway.</summary>
    [Range(0, 3_600)]
    public int DrainTimeoutSeconds { get; set; } = 60;

    /// <summary>A launched machine whose agent has not attached after this long is replaced.</summary>
    [Range(10, 86_400)]
    public int StartupTimeoutSeconds { get; set; } = 1_800;

    /// <summary>Replicas of one deployment at most.</summary>
    [Range(1, 10_000)]
    public int MaxReplicas { get; set; } = 64;

    /// <summary>How often followers try to become the reconciler (and the outbox worker polls).</summary>
    [Range(50, 60_000)]
    public int LeaderPollMs { get; set; } = 1_000;

    /// <summary>A worker's claim on an outbox item; renewed while it works, so only a dead worker's claim expires.</summary>
    [Range(1, 3_600)]
    public int OutboxClaimSeconds { get; set; } = 30;

    /// <summary>Retries of one outbox item back off up to this.</summary>
    [Range(1, 3_600)]
    public int OutboxMaxBackoffSeconds { get; set; } = 300;

    /// <summary>Outbox items worked on at once by this process.</summary>
    [Range(1, 64)]
    public int OutboxConcurrency { get; set; } = 4;
}
