namespace CrossLogic.Agent.Configuration;

/// <summary>Everything the agent reads from its config file and `CROSSLOGIC_AGENT_*` environment overrides.</summary>
internal sealed class AgentOptions
{
    /// <summary>The node id the control plane minted with this node's credential.</summary>
    public string NodeId { get; set; } = "";

    /// <summary>How to reach the control plane's link service.</summary>
    public ControlPlaneOptions ControlPlane { get; set; } = new();

    /// <summary>Where the agent serves its own gRPC API (Agent.Probe, grpc.health.v1).</summary>
    public ProbeOptions Probe { get; set; } = new();

    /// <summary>Tuning of the link stream.</summary>
    public LinkOptions Link { get; set; } = new();

    /// <summary>The inference engine this node runs.</summary>
    public Engine.EngineOptions Engine { get; set; } = new();

    /// <summary>Where models are staged from (R2/S3) and the local cache. Read by hand, not by the binder (see
    /// StagingOptionsReader), hence no public setter.</summary>
    public CrossLogic.Agent.Staging.StagingOptions Staging { get; internal set; } = new();

    /// <summary>Which cloud's metadata service announces preemptions.</summary>
    public Preemption.PreemptionOptions Preemption { get; set; } = new();
}

/// <summary>The control plane the agent dials.</summary>
internal sealed class ControlPlaneOptions
{
    /// <summary>`http://host:port` (h2c) or `https://host:port` of the control plane's gRPC port.</summary>
    public string Url { get; set; } = "";

    /// <summary>The node credential. Prefer <see cref="TokenFile"/> in production.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the node credential (mode 0600), read at start.</summary>
    public string? TokenFile { get; set; }
}

/// <summary>The agent's own gRPC server.</summary>
internal sealed class ProbeOptions
{
    /// <summary>The address to bind, `0.0.0.0` for all IPv4 interfaces.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>The TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 7070;

    /// <summary>The endpoint reported in Hello; informational, the control plane probes what its provisioner saw.</summary>
    public string? AdvertisedEndpoint { get; set; }
}

/// <summary>Reconnect backoff and the outbound event queue.</summary>
internal sealed class LinkOptions
{
    /// <summary>Events kept while disconnected; beyond this they are dropped and the drop is reported.</summary>
    public int EventQueueCapacity { get; set; } = 1024;

    /// <summary>First reconnect delay, in milliseconds.</summary>
    public int ReconnectMinDelayMs { get; set; } = 250;

    /// <summary>Cap of the reconnect delay, in milliseconds.</summary>
    public int ReconnectMaxDelayMs { get; set; } = 15_000;

    /// <summary>How long to wait for Welcome after Hello, in milliseconds.</summary>
    public int WelcomeTimeoutMs { get; set; } = 10_000;

    /// <summary>Heartbeat acknowledgements missed in a row before the stream is taken as dead and redialed.</summary>
    public int MissedAcksBeforeRedial { get; set; } = 3;
}
