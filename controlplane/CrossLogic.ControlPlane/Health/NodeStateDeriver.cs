using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Health;

/// <summary>
/// Derives a node's state from what its agent reports (engine state, GPU health), never set by hand: the same facts
/// always give the same state. Terminal states (Terminated, Lost) are left alone.
/// </summary>
internal static class NodeStateDeriver
{
    public static (Node.Types.State State, string Reason) Derive(Node.Types.State current, EngineStatus? engine, IEnumerable<GpuSample> gpus)
    {
        if (current is Node.Types.State.Terminated or Node.Types.State.Lost)
        {
            return (current, "");
        }

        var samples = gpus.ToList();
        var failedGpu = samples.FirstOrDefault(g => g.Health?.State == GpuHealth.Types.State.Failed);
        if (failedGpu is not null)
        {
            return (Node.Types.State.Failed, $"GPU {failedGpu.Index}: {string.Join("; ", failedGpu.Health.Reasons)}");
        }

        var serving = current is Node.Types.State.Ready or Node.Types.State.Degraded or Node.Types.State.Unreachable;
        switch (engine?.State ?? EngineStatus.Types.State.NotConfigured)
        {
            case EngineStatus.Types.State.Failed:
                return (Node.Types.State.Failed, "engine: " + engine!.Reason);
            case EngineStatus.Types.State.Draining:
                return (Node.Types.State.Draining, "engine draining");
            case EngineStatus.Types.State.Restarting:
                return (Node.Types.State.Degraded, "engine restarting: " + engine!.Reason);
            case EngineStatus.Types.State.Staging:
                return serving ? (Node.Types.State.Degraded, "staging the model again: " + engine!.Reason) : (Node.Types.State.Staging, engine!.Reason);
            case EngineStatus.Types.State.Loading:
                return serving || current == Node.Types.State.Failed
                    ? (Node.Types.State.Degraded, "engine loading after a restart")
                    : (Node.Types.State.Starting, "engine loading");
            case EngineStatus.Types.State.Ready:
                var slowGpu = samples.FirstOrDefault(g => g.Health?.State == GpuHealth.Types.State.Degraded);
                return slowGpu is not null
                    ? (Node.Types.State.Degraded, $"GPU {slowGpu.Index}: {string.Join("; ", slowGpu.Health.Reasons)}")
                    : (Node.Types.State.Ready, "");
            default:
                return (serving ? Node.Types.State.Degraded : Node.Types.State.Starting, "no engine");
        }
    }
}
