namespace CrossLogic.Agent.Preemption;

/// <summary>`Preemption:*`: which cloud's metadata service to watch for spot reclaims and scheduled events.</summary>
internal sealed class PreemptionOptions
{
    /// <summary>`auto` (probe each metadata service with a short timeout), `aws`, `gcp`, `azure` or `none`.</summary>
    public string Cloud { get; set; } = "auto";

    public string AwsBaseUrl { get; set; } = "http://169.254.169.254";

    public string GcpBaseUrl { get; set; } = "http://metadata.google.internal";

    public string AzureBaseUrl { get; set; } = "http://169.254.169.254";

    /// <summary>Polling interval of AWS and Azure (at most 1 s: a notice must reach the control plane within 1.5 s).</summary>
    public int PollIntervalMs { get; set; } = 1_000;

    /// <summary>One metadata request; longer is a slow service, reported as unavailable.</summary>
    public int RequestTimeoutMs { get; set; } = 2_000;

    /// <summary>How long `auto` waits for each service when detecting the cloud.</summary>
    public int DetectTimeoutMs { get; set; } = 1_000;

    /// <summary>GCP's hanging GET returns after at most this long without a change, then is made again.</summary>
    public int GcpWaitTimeoutSeconds { get; set; } = 60;

    /// <summary>After a notice, how long the agent waits for the control plane's drain command before draining on its
    /// own (at once when the control plane is unreachable).</summary>
    public int SelfDrainAfterMs { get; set; } = 3_000;

    /// <summary>Drains end this long before the cloud's deadline, so the last answers leave before the machine goes.</summary>
    public int DeadlineMarginSeconds { get; set; } = 5;

    /// <summary>The deadline assumed when the cloud gives none (GCP preemption: about 30 s).</summary>
    public int DefaultNoticeSeconds { get; set; } = 30;
}
