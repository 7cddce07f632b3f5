using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Cli.Nodes;

/// <summary>`clctl nodes drain ID [--deadline 60s]`.</summary>
internal static class NodeDrainCommand
{
    public static Command Create(GlobalOptions options)
    {
        var id = NodesCommand.IdArgument();
        var deadline = CliOptions.OptionalDuration("--deadline", "How long running requests may take (default: the agent's)");
        var command = new Command("drain", "Stop sending the node requests, let running ones finish, stop its engine") { id, deadline };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var name = ResourceNames.Node(context.Value(id));
            var request = new DrainNodeRequest { Name = name };
            if (context.Parse.GetValue(deadline) is { } value)
            {
                request.Deadline = Duration.FromTimeSpan(value);
            }

            var response = await context.Fleet.DrainNodeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(response);
                return;
            }

            context.Terminal.Line($"Node {ResourceNames.Id(name)} is draining (command {response.CommandId}); ENGINE_DRAINED in 'clctl nodes get {ResourceNames.Id(name)}' records the outcome.");
        });
        return command;
    }
}
