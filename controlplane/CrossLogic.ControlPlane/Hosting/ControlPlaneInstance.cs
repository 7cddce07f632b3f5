namespace CrossLogic.ControlPlane.Hosting;

/// <summary>
/// This process among the control-plane replicas that share one database: who claimed an outbox job, who holds a
/// node's stream. Unique per start, so a restarted replica never mistakes its predecessor's rows for its own.
/// </summary>
internal sealed class ControlPlaneInstance
{
    public string Id { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
}
