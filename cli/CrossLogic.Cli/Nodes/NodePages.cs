using CrossLogic.Cli.Invocation;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Nodes;

/// <summary>Every node, page by page, and which states mean the machine is gone.</summary>
internal static class NodePages
{
    public static Task<List<Node>> AllAsync(Fleet.FleetClient fleet, CancellationToken cancellationToken) =>
        Pages.AllAsync(
            token => fleet.ListNodesAsync(new ListNodesRequest { PageSize = 1000, PageToken = token }, cancellationToken: cancellationToken).ResponseAsync,
            page => page.Nodes,
            page => page.NextPageToken);

    /// <summary>TERMINATED, LOST and FAILED: no machine is running (or billing) for the node.</summary>
    public static bool IsGone(Node node) => node.State is Node.Types.State.Terminated or Node.Types.State.Lost or Node.Types.State.Failed;
}
