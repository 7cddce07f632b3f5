using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Nodes;

/// <summary>`clctl nodes list [--deployment D] [--all]`.</summary>
internal static class NodeListCommand
{
    public static Command Create(GlobalOptions options)
    {
        var deployment = new Option<string?>("--deployment") { Description = "Only the replicas of this deployment", HelpName = "NAME" };
        var all = new Option<bool>("--all") { Description = "Also the nodes whose machine is gone (TERMINATED, LOST, FAILED)" };
        var command = new Command("list", "List nodes (by default those whose machine is not gone)") { deployment, all };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var deploymentName = context.Value(deployment) is { Length: > 0 } d ? ResourceNames.Deployment(d) : null;
            var showAll = context.Value(all);
            var nodes = (await NodePages.AllAsync(context.Fleet, cancellationToken).ConfigureAwait(false))
                .Where(n => showAll || !NodePages.IsGone(n))
                .Where(n => deploymentName is null || n.Deployment == deploymentName)
                .ToList();
            if (context.Json)
            {
                var response = new ListNodesResponse();
                response.Nodes.AddRange(nodes);
                JsonOutput.Write(response);
            }
            else if (nodes.Count == 0)
            {
                context.Terminal.Line(showAll ? "No nodes." : "No nodes (--all shows terminated, lost and failed ones).");
            }
            else
            {
                NodeTable.Write(context.Terminal, nodes);
            }
        });
        return command;
    }
}
