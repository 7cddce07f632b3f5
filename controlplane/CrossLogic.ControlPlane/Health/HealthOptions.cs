using System.ComponentModel.DataAnnotations;

namespace CrossLogic.ControlPlane.Health;

/// <summary>How the control plane decides that a node is alive, unreachable or dead (`Health:*`).</summary>
internal sealed class HealthOptions
{
    /// <summary>Suspicion level of the heartbeat detector at which a node leaves routing and is probed (8 ≈ a 1e-8
    /// chance that the beat is only late).</summary>
    [Range(1.0, 30.0)]
    public double PhiThreshold { get; set; } = 8.0;

    /// <summary>Floor of the detector's standard deviation of heartbeat intervals, in milliseconds.</summary>
    [Range(10, 60_000)]
    public int MinStdDevMs { get; set; } = 250;

    /// <summary>The longest silence tolerated whatever the detector learnt, in milliseconds (with 1 s beats: 2.5 missed).</summary>
    [Range(100, 600_000)]
    public int MaxSilenceMs { get; set; } = 2_500;

    /// <summary>A stream silent this long while probes answer is ended, so the agent dials again, in milliseconds.</summary>
    [Range(100, 600_000)]
    public int StreamAbortAfterMs { get; set; } = 10_000;

    /// <summary>How often the detector looks at every node, in milliseconds.</summary>
    [Range(10, 10_000)]
    public int CheckIntervalMs { get; set; } = 100;

    /// <summary>Scheduled probe of every attached node, in milliseconds.</summary>
    [Range(100, 3_600_000)]
    public int ProbeIntervalMs { get; set; } = 10_000;

    /// <summary>Probe again this often while the stream is silent or closed, in milliseconds.</summary>
    [Range(50, 60_000)]
    public int SuspectProbeIntervalMs { get; set; } = 1_000;

    /// <summary>A probe's deadline, in milliseconds.</summary>
    [Range(50, 60_000)]
    public int ProbeTimeoutMs { get; set; } = 1_000;

    /// <summary>Failed probes in a row (with no stream) before the verdict is Unreachable.</summary>
    [Range(1, 100)]
    public int ProbeFailuresBeforeUnreachable { get; set; } = 1;

    /// <summary>A replica stops watching a node whose stream closed this long ago and that no probe vouches for; the
    /// leader keeps judging it from the table.</summary>
    [Range(1, 86_400)]
    public int ForgetAfterSeconds { get; set; } = 600;

    /// <summary>How long an Unreachable node the cloud still runs is waited for before it is fenced and replaced.</summary>
    [Range(1, 86_400)]
    public int UnreachableGraceSeconds { get; set; } = 120;

    /// <summary>How long a node whose stream no replica holds (after a control-plane restart, say) may take to
    /// reconnect before the leader probes it.</summary>
    [Range(1, 86_400)]
    public int ReconnectGraceSeconds { get; set; } = 30;

    /// <summary>The cloud is asked about unreachable nodes at most this often per provisioner, in milliseconds.</summary>
    [Range(100, 3_600_000)]
    public int CloudCheckIntervalMs { get; set; } = 15_000;

    /// <summary>When at least this share of a provisioner's nodes (and at least 3) is unreachable at once, the fault
    /// is taken to be on the control plane's side: nobody is replaced until it passes.</summary>
    [Range(0.1, 1.0)]
    public double DisruptionFraction { get; set; } = 0.55;
}
