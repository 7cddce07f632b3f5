using System.Globalization;
using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Fleet.Deployments;
using CrossLogic.ControlPlane.Fleet.Offers;
using Offer = CrossLogic.ControlPlane.Fleet.Offers.Offer;

namespace CrossLogic.ControlPlane.Fleet.Reconcile;

/// <summary>
/// Decides, for one deployment, what to launch and what to retire — a pure function of the deployment, its nodes, the
/// offers and the recent launch failures, so every rule is tested without a database or a cloud.
/// <list type="bullet">
/// <item>A replica counts while it is REQUESTED…DEGRADED (or UNREACHABLE within its grace) and not retiring. FAILED and
/// LOST nodes are retired (torn down) and replaced; DRAINING ones (a preemption notice, an operator's drain) are
/// replaced at once and torn down once their running requests finish.</item>
/// <item>Surge: nodes holding a machine (counted, draining, retiring) never exceed replicas + max_surge, so a
/// replacement waits for the old machine's teardown only when the surge is used up.</item>
/// <item>Spot policy: the first on_demand_base replicas are on-demand; the rest spot first (cheapest offer not in
/// back-off), then on-demand when every spot offer failed recently (SPOT_FIRST), or wait (SPOT_ONLY).</item>
/// <item>Placement spread: among allowed offers, the cloud/region with the fewest replicas first, then the cheapest.</item>
/// <item>Scale-down retires the replicas that matter least: not yet serving, then the most expensive, then the newest,
/// keeping the on-demand base.</item>
/// </list>
/// </summary>
internal static class DeploymentPlanner
{
    public sealed record Backoff(TimeSpan Capacity, TimeSpan Quota, TimeSpan Startup);

    public static IReadOnlyList<PlanAction> Plan(
        DeploymentRow deployment,
        IReadOnlyList<FleetNode> nodes,
        IReadOnlyList<Offer> offers,
        IReadOnlyList<LaunchFailure> failures,
        DateTime now,
        Backoff backoff)
    {
        var actions = new List<PlanAction>();
        var deleting = deployment.State != DeploymentRow.Active;
        var desired = deleting ? 0 : deployment.Replicas;

        // Broken nodes leave the count and go; so do launches whose agent never showed up.
        foreach (var node in nodes.Where(n => n.RetiringAt is null))
        {
            if (node.State is (short)Node.Types.State.Failed or (short)Node.Types.State.Lost or (short)Node.Types.State.Terminated)
            {
                // A node that failed while its agent is still with us (a fatal GPU error, an engine crash loop) drains
                // first: requests still running finish if they can. A lost one has nothing left to drain.
                var drain = node.State == (short)Node.Types.State.Failed && node.Connected;
                actions.Add(new RetireNode(node.NodeId, !drain, $"{Store.NodeStates.Name(node.State)}: replacing it{(drain ? " after a drain" : "")}"));
            }
            else if (node.State == (short)Node.Types.State.Draining)
            {
                actions.Add(new RetireNode(node.NodeId, false, "draining: torn down once its running requests finish"));
            }
            else if (node.State is (short)Node.Types.State.Requested or (short)Node.Types.State.Provisioning
                     && node.LaunchedAt is { } launched && now - launched > backoff.Startup)
            {
                actions.Add(new RetireNode(node.NodeId, true, $"launched {(now - launched).TotalMinutes:0} min ago and its agent never attached"));
            }
        }

        var retiring = actions.OfType<RetireNode>().Select(a => a.NodeId).ToHashSet(StringComparer.Ordinal);
        var counted = nodes.Where(n => n.RetiringAt is null && !retiring.Contains(n.NodeId) && Counts(n.State)).ToList();
        var holding = nodes.Count;

        if (deleting)
        {
            actions.AddRange(counted.Concat(nodes.Where(n => n.RetiringAt is null && n.State == (short)Node.Types.State.Draining))
                .Select(n => new RetireNode(n.NodeId, false, "deployment deleted")));
            if (nodes.Count == 0)
            {
                actions.Add(new FinishDelete("no node holds a machine"));
            }

            return actions;
        }

        var onDemandBase = Math.Min(deployment.OnDemandBase, desired);
        if (counted.Count > desired)
        {
            var onDemand = counted.Count(n => !n.Spot);
            var victims = counted
                .OrderBy(n => IsServing(n.State) ? 1 : 0)
                .ThenByDescending(n => n.PricePerHour)
                .ThenByDescending(n => n.CreatedAt)
                .ToList();
            var toRetire = counted.Count - desired;
            foreach (var node in victims)
            {
                if (toRetire == 0)
                {
                    break;
                }

                if (!node.Spot && onDemand <= onDemandBase)
                {
                    continue;
                }

                onDemand -= node.Spot ? 0 : 1;
                toRetire--;
                actions.Add(new RetireNode(node.NodeId, false, $"scale down {counted.Count} → {desired}"));
            }

            return actions;
        }

        var missing = desired - counted.Count;
        var room = desired + Math.Max(1, deployment.MaxSurge) - holding;
        if (missing <= 0 || room <= 0)
        {
            return actions;
        }

        var mode = (SpotPolicy.Types.Mode)deployment.SpotMode;
        var tally = counted.GroupBy(n => n.Cloud + "/" + n.Region).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var onDemandCount = counted.Count(n => !n.Spot);
        for (var i = 0; i < Math.Min(missing, room); i++)
        {
            var needOnDemand = mode == SpotPolicy.Types.Mode.OnDemand || onDemandCount < onDemandBase;
            var spot = needOnDemand ? null : Pick(offers, failures, deployment, tally, spot: true, now, backoff);
            var chosen = spot ?? (mode == SpotPolicy.Types.Mode.SpotOnly && !needOnDemand ? null : Pick(offers, failures, deployment, tally, spot: false, now, backoff));
            if (chosen is null)
            {
                actions.Add(new NoOffer(NoOfferReason(offers, mode, needOnDemand)));
                break;
            }

            var why = needOnDemand && mode != SpotPolicy.Types.Mode.OnDemand ? $"on-demand base {onDemandBase}"
                : chosen.Spot ? "cheapest spot offer not in back-off"
                : mode == SpotPolicy.Types.Mode.SpotFirst && offers.Any(o => o.Spot) ? "fallback to on-demand: no spot offer available now"
                : mode == SpotPolicy.Types.Mode.SpotFirst ? "no spot offer exists here"
                : "cheapest on-demand offer";
            actions.Add(new LaunchReplica(chosen, string.Create(CultureInfo.InvariantCulture,
                $"replica {counted.Count + i + 1} of {desired}: {(chosen.Spot ? "spot" : "on-demand")} {Describe(chosen)} ({why})")));
            tally[chosen.Cloud + "/" + chosen.Region] = tally.GetValueOrDefault(chosen.Cloud + "/" + chosen.Region) + 1;
            onDemandCount += chosen.Spot ? 0 : 1;
        }

        return actions;
    }

    /// <summary>Replicas that count toward the deployment's size: on their way up, serving, or unreachable within their
    /// grace (the health decider retires them when it ends, and only then are they replaced).</summary>
    public static bool Counts(short state) =>
        state is >= (short)Node.Types.State.Requested and <= (short)Node.Types.State.Degraded or (short)Node.Types.State.Unreachable;

    private static bool IsServing(short state) => state is (short)Node.Types.State.Ready or (short)Node.Types.State.Degraded;

    private static Offer? Pick(IReadOnlyList<Offer> offers, IReadOnlyList<LaunchFailure> failures, DeploymentRow deployment, Dictionary<string, int> tally, bool spot, DateTime now, Backoff backoff)
    {
        var candidates = offers.Where(o => o.Spot == spot && !InBackoff(o, failures, deployment, now, backoff));
        return (deployment.PlacementSpread
                ? candidates.OrderBy(o => tally.GetValueOrDefault(o.Cloud + "/" + o.Region)).ThenBy(o => o.PricePerHour)
                : candidates.OrderBy(o => o.PricePerHour))
            .ThenBy(o => o.Cloud, StringComparer.Ordinal)
            .ThenBy(o => o.Region, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>No capacity: that offer (cloud, region, spot, GPU) for a while. Quota: that cloud/region. Auth: that cloud.</summary>
    private static bool InBackoff(Offer offer, IReadOnlyList<LaunchFailure> failures, DeploymentRow deployment, DateTime now, Backoff backoff) =>
        failures.Any(f => f.Provisioner == deployment.Provisioner && f.Cloud == offer.Cloud && f.FailureKind switch
        {
            "no_capacity" or "transient" or "invalid" => now - f.UpdatedAt < backoff.Capacity && f.Region == offer.Region && f.Spot == offer.Spot
                && string.Equals(f.GpuType, offer.GpuType, StringComparison.OrdinalIgnoreCase) && f.GpuCount == offer.GpuCount,
            "quota" => now - f.UpdatedAt < backoff.Quota && f.Region == offer.Region,
            "auth" => now - f.UpdatedAt < backoff.Quota,
            _ => false,
        });

    private static string NoOfferReason(IReadOnlyList<Offer> offers, SpotPolicy.Types.Mode mode, bool needOnDemand)
    {
        var wanted = needOnDemand || mode == SpotPolicy.Types.Mode.OnDemand ? "on-demand" : mode == SpotPolicy.Types.Mode.SpotOnly ? "spot" : "spot or on-demand";
        return offers.Count == 0
            ? "no offer matches the GPU type, count and placement"
            : $"every {wanted} offer failed recently (capacity, quota or credentials); waiting for the back-off to pass";
    }

    internal static string Describe(Offer offer) => string.Create(CultureInfo.InvariantCulture,
        $"{(offer.Infra.Length > 0 ? offer.Infra : "any cloud")}{(offer.InstanceType.Length > 0 ? " " + offer.InstanceType : "")}{(offer.PricePerHour > 0 ? $" ${offer.PricePerHour:0.###}/h" : "")}");
}
