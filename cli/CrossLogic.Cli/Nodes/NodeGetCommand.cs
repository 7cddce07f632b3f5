using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Nodes;

/// <summary>`clctl nodes get ID`: one node in detail, with its latest events.</summary>
internal static class NodeGetCommand
{
    private const int RecentEvents = 10;

    public static Command Create(GlobalOptions options)
    {
        var id = NodesCommand.IdArgument();
        var command = new Command("get", "Show one node: state, machine, engine, GPUs and its latest events") { id };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var name = ResourceNames.Node(context.Value(id));
            var node = await context.Fleet.GetNodeAsync(new GetNodeRequest { Name = name }, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(node);
                return;
            }

            var events = await context.Fleet.ListNodeEventsAsync(new ListNodeEventsRequest { Parent = name, PageSize = RecentEvents }, cancellationToken: cancellationToken).ConfigureAwait(false);
            Write(context.Terminal, node, events.Events);
        });
        return command;
    }

    private static void Write(Terminal terminal, Node node, IEnumerable<NodeEventRecord> events)
    {
        var details = Terminal.NewDetails();
        Terminal.AddDetail(details, "Node", node.NodeId);
        Terminal.AddDetail(details, "State", NodeTable.State(node) + (node.StateReason.Length > 0 ? $" ({node.StateReason})" : ""));
        Terminal.AddDetail(details, "Connected", Formats.YesNo(node.Connected) + $" (last seen {Formats.Time(node.LastSeenTime)})");
        Terminal.AddDetail(details, "Deployment", Formats.OrDash(node.Deployment.Length > 0 ? ResourceNames.Id(node.Deployment) : ""));
        Terminal.AddDetail(details, "Model", Formats.OrDash(node.Model));
        Terminal.AddDetail(details, "GPUs", node.GpuType.Length > 0 ? Formats.Gpus(node.GpuType, node.GpuCount) : "-");
        Terminal.AddDetail(details, "Machine", $"{Formats.OrDash(node.Provisioner)} {NodeTable.Where(node)} {(node.Spot ? "spot" : "on-demand")}, {(node.PricePerHour > 0 ? Formats.Price(node.PricePerHour) + "/h" : "price unknown")}");
        Terminal.AddDetail(details, "Cluster", Formats.OrDash(node.ClusterName));
        Terminal.AddDetail(details, "Engine", node.Engine is null ? "-" : EngineLine(node.Engine));
        Terminal.AddDetail(details, "Engine endpoint", Formats.OrDash(node.EngineEndpoint));
        Terminal.AddDetail(details, "Probe endpoint", Formats.OrDash(node.ProbeEndpoint));
        Terminal.AddDetail(details, "Agent", $"{Formats.OrDash(node.AgentVersion)} on {Formats.OrDash(node.Host?.Hostname ?? "")} (lease epoch {node.LeaseEpoch})");
        Terminal.AddDetail(details, "Created", Formats.Time(node.CreateTime));
        if (node.Labels.Count > 0)
        {
            Terminal.AddDetail(details, "Labels", string.Join(", ", node.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")));
        }

        terminal.Write(details);
        if (node.Gpus.Count > 0)
        {
            terminal.Line();
            var gpus = terminal.NewTable("GPU", "NAME", "MEMORY GIB", "HEALTH", "UTIL %", "TEMP °C");
            foreach (var gpu in node.Gpus)
            {
                var sample = node.GpuSamples.FirstOrDefault(s => s.Index == gpu.Index);
                Terminal.AddRow(
                    gpus,
                    Formats.Number(gpu.Index),
                    gpu.Name,
                    Formats.Number(gpu.MemoryTotalBytes / (1024.0 * 1024 * 1024)),
                    sample?.Health is null ? "-" : Formats.EnumName(sample.Health.State),
                    sample is null ? "-" : Formats.Number(sample.UtilizationPercent),
                    sample is null ? "-" : Formats.Number(sample.TemperatureCelsius));
            }

            terminal.Write(gpus);
        }

        if (node.EngineLogTail.Count > 0)
        {
            terminal.Line();
            terminal.Line("Engine log tail:");
            foreach (var line in node.EngineLogTail)
            {
                terminal.Line("  " + line);
            }
        }

        terminal.Line();
        var table = terminal.NewTable("TIME", "KIND", "REASON");
        foreach (var record in events.Reverse())
        {
            Terminal.AddRow(table, Formats.Time(record.Time), record.Kind, record.Reason);
        }

        terminal.Write(table);
    }

    private static string EngineLine(EngineStatus engine) =>
        $"{Formats.EnumName(engine.State)}, {engine.RunningRequests} running, {engine.WaitingRequests} waiting, KV cache {engine.KvCacheUsage:P0}, {engine.Restarts} restart(s)"
        + (engine.Reason.Length > 0 ? $" ({engine.Reason})" : "");
}
