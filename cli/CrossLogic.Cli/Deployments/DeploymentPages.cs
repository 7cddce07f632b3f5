using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>Every deployment, page by page.</summary>
internal static class DeploymentPages
{
    public static async Task<List<Deployment>> AllAsync(Fleet.FleetClient fleet, CancellationToken cancellationToken)
    {
        var deployments = new List<Deployment>();
        var token = "";
        do
        {
            var page = await fleet.ListDeploymentsAsync(new ListDeploymentsRequest { PageSize = 1000, PageToken = token }, cancellationToken: cancellationToken).ConfigureAwait(false);
            deployments.AddRange(page.Deployments);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return deployments;
    }
}
