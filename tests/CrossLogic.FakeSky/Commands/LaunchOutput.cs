using System.Globalization;
using System.Text;

namespace CrossLogic.FakeSky.Commands;

/// <summary>The stdout of `sky launch`: optimizer table, provisioning lines, job submission and the hints block.</summary>
internal static class LaunchOutput
{
    public static void ConsideredResources(LaunchPlan plan)
    {
        var offering = plan.Offering;
        string[] header = ["INFRA", "INSTANCE", "vCPUs", "Mem(GB)", "GPUS", "COST ($)", "CHOSEN"];
        string[] row =
        [
            $"{plan.Placement.CloudDisplay} ({plan.Placement.Region})",
            offering.InstanceType + (plan.UseSpot ? "[Spot]" : ""),
            offering.Vcpus.ToString(CultureInfo.InvariantCulture),
            offering.MemoryGb.ToString(CultureInfo.InvariantCulture),
            offering.Accelerators ?? "-",
            (offering.HourlyCost(plan.UseSpot) * plan.Nodes).ToString("0.00", CultureInfo.InvariantCulture),
            "   ✔",
        ];
        var widths = header.Select((h, i) => Math.Max(h.Length, row[i].Length)).ToArray();
        var headerLine = Line(header, widths);
        var rule = new string('-', headerLine.Length + 12);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Considered resources ({plan.Nodes} node{(plan.Nodes == 1 ? "" : "s")}):");
        text.AppendLine(rule);
        text.AppendLine(headerLine);
        text.AppendLine(rule);
        text.AppendLine(Line(row, widths));
        text.AppendLine(rule);
        Console.Out.Write(text.ToString());
    }

    public static void LaunchingOn(LaunchPlan plan) => Console.Out.WriteLine($"⚙︎ Launching on {plan.Placement.LaunchingOn}.");

    public static void InstanceUp(string cluster, string logDirectory)
    {
        Console.Out.WriteLine("└── Instance is up.");
        Console.Out.WriteLine($"✓ Cluster launched: {cluster}.  View logs: sky api logs -l {logDirectory}/provision.log");
    }

    public static void JobSubmitted(string cluster, int jobId, bool syncFiles)
    {
        if (syncFiles)
        {
            Console.Out.WriteLine("⚙︎ Syncing files.");
        }

        Console.Out.WriteLine($"⚙︎ Job submitted, ID: {jobId}");
        Console.Out.WriteLine($"""
            📋 Useful Commands
            Job ID: {jobId}
            ├── To cancel the job:          sky cancel {cluster} {jobId}
            ├── To stream job logs:         sky logs {cluster} {jobId}
            └── To view job queue:          sky queue {cluster}
            Cluster name: {cluster}
            ├── To log into the head VM:    ssh {cluster}
            ├── To submit a job:            sky exec {cluster} yaml_file
            ├── To stop the cluster:        sky stop {cluster}
            └── To teardown the cluster:    sky down {cluster}
            """);
    }

    private static string Line(string[] cells, int[] widths) =>
        " " + string.Join("   ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i])));
}
