using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>`clctl deployments list`.</summary>
internal static class DeploymentListCommand
{
    public static Command Create(GlobalOptions options)
    {
        var command = new Command("list", "List deployments with their replica counts");
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var deployments = await DeploymentPages.AllAsync(context.Fleet, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                var response = new ListDeploymentsResponse();
                response.Deployments.AddRange(deployments);
                JsonOutput.Write(response);
            }
            else if (deployments.Count == 0)
            {
                context.Terminal.Line("No deployments.");
            }
            else
            {
                DeploymentTable.Write(context.Terminal, deployments);
            }
        });
        return command;
    }
}
