using CrossLogic.Cli.Invocation;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>Every deployment, page by page.</summary>
internal static class DeploymentPages
{
    public static Task<List<Deployment>> AllAsync(Fleet.FleetClient fleet, CancellationToken cancellationToken) =>
        Pages.AllAsync(
            token => fleet.ListDeploymentsAsync(new ListDeploymentsRequest { PageSize = 1000, PageToken = token }, cancellationToken: cancellationToken).ResponseAsync,
            page => page.Deployments,
            page => page.NextPageToken);
}
