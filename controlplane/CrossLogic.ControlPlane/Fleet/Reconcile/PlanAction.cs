using CrossLogic.ControlPlane.Fleet.Offers;

namespace CrossLogic.ControlPlane.Fleet.Reconcile;

/// <summary>One thing the reconciler decided for a deployment, with the reason it records.</summary>
internal abstract record PlanAction(string Reason);

/// <summary>Launch a new replica on this offer.</summary>
internal sealed record LaunchReplica(Offer Offer, string Reason) : PlanAction(Reason);

/// <summary>Take a node out of the count and tear it down (drained first unless <see cref="Force"/>).</summary>
internal sealed record RetireNode(string NodeId, bool Force, string Reason) : PlanAction(Reason);

/// <summary>A replica is missing and no offer may be tried now.</summary>
internal sealed record NoOffer(string Reason) : PlanAction(Reason);

/// <summary>A deleting deployment holds no machine any more.</summary>
internal sealed record FinishDelete(string Reason) : PlanAction(Reason);
