using System.Text;
using CrossLogic.FakeSky.Home;

namespace CrossLogic.FakeSky.Commands;

/// <summary>
/// `sky status` as a table, in the layout of prettytable with border=False (left-aligned, two spaces of right
/// padding, trailing spaces kept), with the sections SkyPilot prints around it.
/// </summary>
internal static class StatusTable
{
    public static string Render(FakeConfig config, IReadOnlyList<ClusterRecord> clusters, IReadOnlyList<string> missing, bool namesGiven, bool verbose, long now)
    {
        var text = new StringBuilder();
        text.Append("Enabled Infra: ").AppendLine(string.Join(", ", config.EnabledInfra));
        text.AppendLine();
        text.AppendLine("Clusters");
        if (clusters.Count > 0)
        {
            text.Append(Table(clusters, verbose, now));
        }
        else if (!namesGiven)
        {
            text.AppendLine("No existing clusters.");
        }

        foreach (var name in missing)
        {
            text.AppendLine($"Cluster '{name}' not found.");
        }

        if (!namesGiven)
        {
            text.AppendLine();
            text.AppendLine("Managed jobs");
            text.AppendLine("No in-progress managed jobs.");
            text.AppendLine();
            text.AppendLine("Services");
            text.AppendLine("No live services.");
            var autostopped = clusters.Count(c => c.Autostop >= 0);
            if (autostopped > 0)
            {
                text.AppendLine();
                text.AppendLine($"* {autostopped} cluster{(autostopped == 1 ? " has" : "s have")} auto{{stop,down}} scheduled. Refresh statuses with: sky status --refresh");
            }
        }

        return text.ToString();
    }

    private static string Table(IReadOnlyList<ClusterRecord> clusters, bool verbose, long now)
    {
        var header = new List<string> { "NAME", "INFRA", "RESOURCES", "STATUS", "AUTOSTOP", "LAUNCHED" };
        if (verbose)
        {
            header.AddRange(["HEAD_IP", "COMMAND"]);
        }

        var rows = clusters.Select(c =>
        {
            var row = new List<string>
            {
                c.Name,
                ClusterView.PlacementOf(c).InfraCell,
                verbose ? ClusterView.ResourcesFull(c) : ClusterView.ResourcesShort(c),
                c.Status,
                ClusterView.Autostop(c),
                ClusterView.Launched(c.LaunchedAt, now),
            };
            if (verbose)
            {
                row.Add(c.Status == ClusterStatus.Up ? "127.0.0.1" : "-");
                row.Add(ClusterView.Truncate(c.LastUse ?? c.LaunchCommand ?? "-"));
            }

            return row;
        }).ToList();

        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Prepend(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var line in rows.Prepend(header))
        {
            for (var i = 0; i < line.Count; i++)
            {
                text.Append(line[i].PadRight(widths[i] + 2));
            }

            text.AppendLine();
        }

        return text.ToString();
    }
}
