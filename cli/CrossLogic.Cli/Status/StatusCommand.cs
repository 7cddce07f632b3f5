using System.CommandLine;
using System.Text.Json.Nodes;
using CrossLogic.Cli.Deployments;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Nodes;
using CrossLogic.Cli.Output;

namespace CrossLogic.Cli.Status;

/// <summary>`clctl status`: the fleet at a glance — deployments, nodes by state, what the running machines cost.</summary>
internal static class StatusCommand
{
    public static Command Create(GlobalOptions options)
    {
        var command = new Command("status", "Fleet summary: deployments, node counts by state, hourly cost of running machines");
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var deployments = await DeploymentPages.AllAsync(context.Fleet, cancellationToken).ConfigureAwait(false);
            var nodes = await NodePages.AllAsync(context.Fleet, cancellationToken).ConfigureAwait(false);
            var counts = nodes.GroupBy(n => Formats.EnumName(n.State)).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
            var running = nodes.Where(n => !NodePages.IsGone(n)).ToList();
            var hourlyCost = running.Sum(n => n.PricePerHour);
            if (context.Json)
            {
                JsonOutput.Write(new JsonObject
                {
                    ["deployments"] = new JsonArray([.. deployments.Select(d => JsonOutput.ToNode(d))]),
                    ["nodeCounts"] = new JsonObject(counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))),
                    ["runningMachines"] = running.Count,
                    ["hourlyCost"] = hourlyCost,
                });
                return;
            }

            var terminal = context.Terminal;
            if (deployments.Count == 0)
            {
                terminal.Line("No deployments.");
            }
            else
            {
                DeploymentTable.Write(terminal, deployments);
            }

            terminal.Line();
            terminal.Line("Nodes: " + (counts.Count == 0 ? "none" : string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"))));
            var unpriced = running.Count(n => n.PricePerHour <= 0);
            terminal.Line($"Hourly cost: ${hourlyCost:0.00}/h for {running.Count} running machine(s)" + (unpriced > 0 ? $" ({unpriced} without a known price)" : ""));
        });
        return command;
    }
}
