using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Cli.Deployments;

/// <summary>`clctl deployments scale NAME --replicas N [--wait]`: UpdateDeployment with update_mask `replicas`.</summary>
internal static class DeploymentScaleCommand
{
    public static Command Create(GlobalOptions options)
    {
        var name = DeploymentsCommand.NameArgument();
        var replicas = CliOptions.Count("--replicas", "The new desired replica count", 0, required: true);
        var wait = DeploymentsCommand.WaitOption("Wait until the deployment has exactly that many ready replicas, showing progress");
        var timeout = DeploymentsCommand.TimeoutOption();
        var command = new Command("scale", "Change a deployment's replica count") { name, replicas, wait, timeout.Option };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var resource = ResourceNames.Deployment(context.Value(name));
            var id = ResourceNames.Id(resource);
            var waiter = new DeploymentWaiter(context, TimeProvider.System);
            var waiting = context.Value(wait);
            var since = waiting ? await waiter.LatestEventIdAsync(resource, cancellationToken).ConfigureAwait(false) : 0;
            var request = new UpdateDeploymentRequest
            {
                Deployment = new Deployment { Name = resource, Replicas = context.Value(replicas) },
                UpdateMask = new FieldMask { Paths = { "replicas" } },
            };
            var updated = await context.Fleet.UpdateDeploymentAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (waiting)
            {
                if (!context.Json)
                {
                    context.Terminal.Line($"Scaling deployment {id} to {updated.Replicas} replica(s).");
                }

                updated = await waiter.WaitAsync(resource, since, DeploymentWaiter.IsReady, timeout.Get(context.Parse), cancellationToken).ConfigureAwait(false) ?? updated;
                Write(context, updated, $"Deployment {id}: {updated.ReadyReplicas}/{updated.Replicas} ready.");
                return;
            }

            Write(context, updated, $"Deployment {id} scaled to {updated.Replicas} replica(s) ({DeploymentWaiter.Describe(updated)}).");
        });
        return command;
    }

    private static void Write(CommandContext context, Deployment deployment, string line)
    {
        if (context.Json)
        {
            JsonOutput.Write(deployment);
        }
        else
        {
            context.Terminal.Line(line);
        }
    }
}
