using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>`clctl deployments delete NAME [--wait]`: drain and tear down every replica; --wait until it is gone.</summary>
internal static class DeploymentDeleteCommand
{
    public static Command Create(GlobalOptions options)
    {
        var name = DeploymentsCommand.NameArgument();
        var wait = DeploymentsCommand.WaitOption("Wait until the deployment is gone (its machines torn down), showing progress");
        var timeout = DeploymentsCommand.TimeoutOption();
        var command = new Command("delete", "Delete a deployment: its nodes are drained and torn down") { name, wait, timeout.Option };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var resource = ResourceNames.Deployment(context.Value(name));
            var id = ResourceNames.Id(resource);
            var waiter = new DeploymentWaiter(context, TimeProvider.System);
            var waiting = context.Value(wait);
            var since = waiting ? await waiter.LatestEventIdAsync(resource, cancellationToken).ConfigureAwait(false) : 0;
            var deleting = await context.Fleet.DeleteDeploymentAsync(new DeleteDeploymentRequest { Name = resource }, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (waiting)
            {
                if (!context.Json)
                {
                    context.Terminal.Line($"Deleting deployment {id}; waiting until it is gone.");
                }

                await waiter.WaitAsync(resource, since, DeploymentWaiter.IsGone, timeout.Get(context.Parse), cancellationToken).ConfigureAwait(false);
                if (context.Json)
                {
                    JsonOutput.Write(deleting);
                }
                else
                {
                    context.Terminal.Line($"Deployment {id} is gone.");
                }

                return;
            }

            if (context.Json)
            {
                JsonOutput.Write(deleting);
            }
            else
            {
                context.Terminal.Line($"Deployment {id} is {Formats.EnumName(deleting.State)}: its nodes are drained and torn down ('clctl deployments get {id}' until it is not found, or --wait).");
            }
        });
        return command;
    }
}
