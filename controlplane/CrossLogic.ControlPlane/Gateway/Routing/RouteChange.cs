namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// A node's entry in this replica's own routing changed: it came in or went out (<paramref name="Toggled"/>), or a new
/// session or engine address replaced it.
/// </summary>
internal readonly record struct RouteChange(string NodeId, long LeaseEpoch, bool Routed, bool Toggled);
