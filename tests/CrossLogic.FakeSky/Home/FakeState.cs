namespace CrossLogic.FakeSky.Home;

/// <summary>Everything the fake remembers between invocations (state.json).</summary>
internal sealed class FakeState
{
    public List<ClusterRecord> Clusters { get; set; } = [];

    /// <summary>How many launches each fault rule has failed so far, keyed by <see cref="FaultRule.Key"/>.</summary>
    public Dictionary<string, int> RuleHits { get; set; } = [];

    public ClusterRecord? Find(string name) => Clusters.Find(c => c.Name == name);
}

/// <summary>One cluster as the fake cloud knows it. Holds envs but never secret values.</summary>
internal sealed class ClusterRecord
{
    public required string Name { get; set; }

    /// <summary>INIT, UP or STOPPED: the status `sky status` reports (the cached one, as SkyPilot's local DB).</summary>
    public string Status { get; set; } = ClusterStatus.Init;

    /// <summary>Lower-case cloud id: aws, gcp, azure, lambda, kubernetes.</summary>
    public required string Cloud { get; set; }

    public required string Region { get; set; }

    public string? Zone { get; set; }

    public long LaunchedAt { get; set; }

    public long StatusUpdatedAt { get; set; }

    public bool ClusterEverUp { get; set; }

    public bool UseSpot { get; set; }

    /// <summary>"H100:8", or null for a CPU-only cluster.</summary>
    public string? Accelerators { get; set; }

    public required string InstanceType { get; set; }

    public string Cpus { get; set; } = "";

    public string Memory { get; set; } = "";

    public double HourlyPrice { get; set; }

    public int DiskSize { get; set; } = 256;

    public string? DiskTier { get; set; }

    public int Nodes { get; set; } = 1;

    public List<int> Ports { get; set; } = [];

    /// <summary>Remote port (the task's) → free loopback port standing in for it.</summary>
    public Dictionary<int, int> PortMap { get; set; } = [];

    public int Autostop { get; set; } = -1;

    public bool ToDown { get; set; }

    public int? BootPid { get; set; }

    /// <summary>Start time of <see cref="BootPid"/> (/proc/PID/stat field 22), so a reused pid is never signalled.</summary>
    public long? BootStartTime { get; set; }

    /// <summary>The fake process provisioning this INIT cluster; a second launch waits for it.</summary>
    public int? LaunchPid { get; set; }

    public long? LaunchStartTime { get; set; }

    public string? LaunchCommand { get; set; }

    public string? LastUse { get; set; }

    public string? LastEvent { get; set; }

    public string? TaskYaml { get; set; }

    public Dictionary<string, string> Envs { get; set; } = [];

    public string? Setup { get; set; }

    public string? Run { get; set; }

    public int JobCount { get; set; }

    public required string ClusterHash { get; set; }

    /// <summary>What the cloud did behind SkyPilot's back (fake-preempt): "stopped" or "vanished"; a refresh makes it visible.</summary>
    public string? CloudChange { get; set; }
}

/// <summary>SkyPilot's ClusterStatus values.</summary>
internal static class ClusterStatus
{
    public const string Init = "INIT";
    public const string Up = "UP";
    public const string Stopped = "STOPPED";
}
