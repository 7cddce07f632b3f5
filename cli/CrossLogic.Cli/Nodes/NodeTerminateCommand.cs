using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Cli.Nodes;

/// <summary>`clctl nodes terminate ID [--force] [--drain-timeout 30s]`.</summary>
internal static class NodeTerminateCommand
{
    public static Command Create(GlobalOptions options)
    {
        var id = NodesCommand.IdArgument();
        var force = new Option<bool>("--force") { Description = "Skip the drain: running requests are cut" };
        var drainTimeout = CliOptions.OptionalDuration("--drain-timeout", "How long the drain may take (default: the control plane's Fleet:DrainTimeoutSeconds)");
        var command = new Command("terminate", "Drain the node (unless --force), then tear its machine down") { id, force, drainTimeout };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var request = new TerminateNodeRequest { Name = ResourceNames.Node(context.Value(id)), Force = context.Value(force) };
            if (context.Parse.GetValue(drainTimeout) is { } value)
            {
                request.DrainTimeout = Duration.FromTimeSpan(value);
            }

            var node = await context.Fleet.TerminateNodeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(node);
                return;
            }

            context.Terminal.Line($"Node {node.NodeId} is being terminated (now {NodeTable.State(node)}); it ends TERMINATED.");
        });
        return command;
    }
}
