using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Store;

namespace CrossLogic.ControlPlane.Link;

/// <summary>
/// Moves a live node to a new state and records it: memory first (routing reads it), then the table, fenced by the
/// node's lease epoch. One path for what the agent reports, a preemption notice and the health monitor's verdicts.
/// </summary>
internal sealed class LiveTransitions(
    NodeStore store,
    Fleet.Reconcile.ReconcileSignal reconcile,
    Observability.ControlPlaneMetrics metrics,
    ILogger<LiveTransitions> logger)
{
    /// <summary>
    /// True when the state changed and was recorded. A database outage undoes the change in memory, so the caller's
    /// next look tries it again; a newer session or a fence that owns the row leaves this session's view as it is.
    /// </summary>
    public async Task<bool> ApplyAsync(NodeLiveState live, Node.Types.State to, string reason, CancellationToken cancellationToken)
    {
        if (live.Transition(to) is not { } from)
        {
            return false;
        }

        try
        {
            if (!await store.TransitionAsync(live.NodeId, live.LeaseEpoch, (short)from, (short)to, reason, cancellationToken).ConfigureAwait(false))
            {
                LinkLog.TransitionFenced(logger, live.NodeId, to);
                return false;
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            live.Transition(from);
            LinkLog.TransitionNotRecorded(logger, ex, live.NodeId, to);
            return false;
        }

        LinkLog.StateChanged(logger, live.NodeId, from, to, reason);
        metrics.NodeTransition(to);
        if (to is Node.Types.State.Draining or Node.Types.State.Failed or Node.Types.State.Unreachable)
        {
            reconcile.Poke(); // its replacement is decided now, not at the next pass
        }

        return true;
    }
}
