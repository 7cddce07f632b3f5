using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>`clctl deployments events NAME`: every decision the reconciler took, oldest first, with its reason.</summary>
internal static class DeploymentEventsCommand
{
    public static Command Create(GlobalOptions options)
    {
        var name = DeploymentsCommand.NameArgument();
        var limit = CliOptions.Count("--limit", "How many of the newest events", 100);
        var command = new Command("events", "The deployment's events (launches, scale-downs, failures) with their reasons") { name, limit };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var request = new ListDeploymentEventsRequest { Parent = ResourceNames.Deployment(context.Value(name)), PageSize = context.Value(limit) };
            var response = await context.Fleet.ListDeploymentEventsAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(response);
                return;
            }

            if (response.Events.Count == 0)
            {
                context.Terminal.Line("No events.");
                return;
            }

            var table = context.Terminal.NewTable("TIME", "KIND", "REASON");
            foreach (var record in response.Events.Reverse())
            {
                Terminal.AddRow(table, Formats.Time(record.Time), record.Kind, record.Reason);
            }

            context.Terminal.Write(table);
        });
        return command;
    }
}
