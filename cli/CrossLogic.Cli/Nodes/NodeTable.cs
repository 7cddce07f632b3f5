using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Nodes;

/// <summary>Nodes as a table: one row each.</summary>
internal static class NodeTable
{
    public static void Write(Terminal terminal, IEnumerable<Node> nodes)
    {
        var table = terminal.NewTable("NODE", "STATE", "DEPLOYMENT", "MODEL", "GPUS", "PROVISIONER", "WHERE", "SPOT", "$/H", "CONNECTED", "LAST SEEN");
        foreach (var node in nodes)
        {
            Terminal.AddRow(
                table,
                node.NodeId,
                State(node),
                Formats.OrDash(node.Deployment.Length > 0 ? ResourceNames.Id(node.Deployment) : ""),
                Formats.OrDash(node.Model),
                node.GpuType.Length > 0 ? Formats.Gpus(node.GpuType, node.GpuCount) : "-",
                Formats.OrDash(node.Provisioner),
                Where(node),
                Formats.YesNo(node.Spot),
                Formats.Price(node.PricePerHour),
                Formats.YesNo(node.Connected),
                Formats.Time(node.LastSeenTime));
        }

        terminal.Write(table);
    }

    /// <summary>`READY`, or `READY (retiring)` for a node on its way out (once gone, that goes without saying).</summary>
    public static string State(Node node) => Formats.EnumName(node.State) + (node.Retiring && !NodePages.IsGone(node) ? " (retiring)" : "");

    /// <summary>`aws/us-east-1`, or `-` when not launched by a provisioner.</summary>
    public static string Where(Node node) =>
        node.Cloud.Length == 0 ? "-" : node.Region.Length == 0 ? node.Cloud : $"{node.Cloud}/{node.Region}";
}
