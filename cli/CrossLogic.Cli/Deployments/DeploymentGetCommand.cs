using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>`clctl deployments get NAME`: the deployment, its sizing explanation and its best offers.</summary>
internal static class DeploymentGetCommand
{
    public static Command Create(GlobalOptions options)
    {
        var name = DeploymentsCommand.NameArgument();
        var command = new Command("get", "Show one deployment with its sizing and offers") { name };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var deployment = await context.Fleet.GetDeploymentAsync(new GetDeploymentRequest { Name = ResourceNames.Deployment(context.Value(name)) }, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(deployment);
            }
            else
            {
                DeploymentDetails.Write(context.Terminal, deployment);
            }
        });
        return command;
    }
}
