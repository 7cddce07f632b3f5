namespace CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;

/// <summary>`Provisioners:SkyPilot:*`: clusters launched through the `sky` CLI.</summary>
internal sealed class SkyPilotOptions
{
    /// <summary>The `sky` executable (on PATH, or a path).</summary>
    public string Executable { get; set; } = "sky";

    /// <summary>Arguments put before every command (for a wrapper such as `uv run sky`).</summary>
    public List<string> PrefixArgs { get; set; } = [];

    /// <summary>Environment variables set for every `sky` call (SKYPILOT_* settings, a HOME with its own ~/.sky).</summary>
    public Dictionary<string, string> Environment { get; set; } = [];

    /// <summary>The task template; empty means `skypilot/node-task.yaml` beside the control plane.</summary>
    public string TaskTemplate { get; set; } = "";

    /// <summary>Where agents dial the control plane from the cloud (`https://cp.example.com:7001`). Required.</summary>
    public string ControlPlaneUrl { get; set; } = "";

    /// <summary>Where the node downloads the agent bundle (`crosslogic-agent.tar.gz` from ./scripts/publish-agent); https only.</summary>
    public string AgentUrl { get; set; } = "";

    /// <summary>The bundle's sha256: the node checks it before running anything in it.</summary>
    public string AgentSha256 { get; set; } = "";

    /// <summary>vLLM version the node installs when its image has none; empty means the newest.</summary>
    public string VllmVersion { get; set; } = "";

    public int DiskSizeGb { get; set; } = 256;

    /// <summary>Names of variables in the control plane's environment handed to every node as secrets (R2 keys).</summary>
    public List<string> ExtraSecrets { get; set; } = [];

    /// <summary>A launch may take this long (provisioning, setup) before it is abandoned and retried.</summary>
    public int LaunchTimeoutSeconds { get; set; } = 1800;

    /// <summary>Status and teardown calls.</summary>
    public int CommandTimeoutSeconds { get; set; } = 300;
}
