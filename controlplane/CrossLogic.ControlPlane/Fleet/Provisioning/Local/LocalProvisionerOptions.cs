namespace CrossLogic.ControlPlane.Fleet.Provisioning.Local;

/// <summary>`Provisioners:Local:*`: agents started as processes on this machine, each a "cluster".</summary>
internal sealed class LocalProvisionerOptions
{
    /// <summary>One directory per cluster (config, secrets, logs, pid); the provider's own record of what runs.</summary>
    public string StateDirectory { get; set; } = "";

    /// <summary>The published agent binary.</summary>
    public string AgentBinary { get; set; } = "";

    /// <summary>Where agents dial the control plane; empty means this process's gRPC port on loopback.</summary>
    public string ControlPlaneUrl { get; set; } = "";

    /// <summary>`auto` (vLLM when installed and a GPU answers, else the mock engine), `vllm` or `mock`.</summary>
    public string Engine { get; set; } = "auto";

    /// <summary>The mock engine's dll (run with `dotnet`), for `mock` and `auto` without a GPU.</summary>
    public string MockEngineDll { get; set; } = "";

    /// <summary>Extra configuration for every agent's `Engine` section (for example restart delays), merged last.</summary>
    public Dictionary<string, string> EngineSettings { get; set; } = [];

    /// <summary>A JSON object merged into every agent's config last, key by key (for example a `Preemption` section
    /// pointing at a metadata server, or `Engine:Environment` for the mock engine).</summary>
    public string AgentSettingsJson { get; set; } = "";

    /// <summary>Clusters at once; one more is refused as "no capacity", as a full region would be.</summary>
    public int MaxClusters { get; set; } = 8;

    /// <summary>How long an agent gets to stop (drain its engine) after SIGTERM before SIGKILL.</summary>
    public int StopGraceSeconds { get; set; } = 15;
}
