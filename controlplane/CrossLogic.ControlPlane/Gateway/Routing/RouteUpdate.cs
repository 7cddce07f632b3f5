using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>What the link knows about a node that routing cares about, taken at attach and on every heartbeat.</summary>
internal readonly record struct RouteUpdate(
    string NodeId,
    long LeaseEpoch,
    string Model,
    string EngineEndpoint,
    bool Connected,
    bool DrainRequested,
    Node.Types.State State,
    EngineStatus? Engine)
{
    /// <summary>Connected, Ready (or Degraded), the engine answering, not draining, and placed by the provisioner.</summary>
    public bool Routable =>
        Connected && !DrainRequested && State is Node.Types.State.Ready or Node.Types.State.Degraded
        && Engine?.State == EngineStatus.Types.State.Ready && Model.Length > 0 && EngineEndpoint.Length > 0;
}
