using System.Globalization;
using System.Text.RegularExpressions;
using CrossLogic.FakeSky.Cli;
using CrossLogic.FakeSky.Home;

namespace CrossLogic.FakeSky.Commands;

/// <summary>`sky status`: the cached cluster table (or JSON), `--ip`, `--endpoint(s)`; `-r` first applies what the cloud did.</summary>
internal sealed class StatusCommand(Invocation run)
{
    private static readonly OptionSpec[] BaseOptions =
    [
        OptionSpec.Flag("verbose", "-v", "--verbose"),
        OptionSpec.Flag("refresh", "-r", "--refresh"),
        OptionSpec.Flag("ip", "--ip"),
        OptionSpec.Flag("endpoints", "--endpoints"),
        OptionSpec.Value("endpoint", "--endpoint"),
        OptionSpec.Flag("all_users", "-u", "--all-users"),
        OptionSpec.Flag("show_managed_jobs", "--show-managed-jobs"),
        OptionSpec.Negated("show_managed_jobs", "--no-show-managed-jobs"),
        OptionSpec.Flag("show_services", "--show-services"),
        OptionSpec.Negated("show_services", "--no-show-services"),
        OptionSpec.Flag("show_pools", "--show-pools"),
        OptionSpec.Negated("show_pools", "--no-show-pools"),
    ];

    private static readonly OptionSpec OutputOption = OptionSpec.Value("output", "-o", "--output");

    public int Execute(IReadOnlyList<string> args)
    {
        // An older sky has no -o/--output at all: click rejects it as an unknown option.
        OptionSpec[] options = run.Config.JsonOutput ? [.. BaseOptions, OutputOption] : BaseOptions;
        var parsed = ClickParser.Parse(args, options, out var usageError);
        if (usageError is not null)
        {
            return SkyConsole.UsageError("status", usageError);
        }

        var output = parsed.Get("output") ?? "table";
        if (output is not ("table" or "json"))
        {
            return SkyConsole.UsageError("status", $"Invalid value for '-o' / '--output': '{output}' is not one of 'table', 'json'.");
        }

        int? endpoint = null;
        if (parsed.Get("endpoint") is { } endpointText)
        {
            if (!int.TryParse(endpointText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port))
            {
                return SkyConsole.UsageError("status", $"Invalid value for '--endpoint': '{endpointText}' is not a valid integer.");
            }

            endpoint = port;
        }

        var names = parsed.Arguments;
        var refresh = parsed.Flag("refresh");
        var clusters = refresh
            ? run.State.Update(state => Refresh(state, names))
            : run.State.Read().Clusters;

        if (parsed.Flag("ip") || parsed.Flag("endpoints") || endpoint is not null)
        {
            if (names.Count != 1)
            {
                var flag = parsed.Flag("ip") ? "--ip" : endpoint is not null ? "--endpoint" : "--endpoints";
                return SkyConsole.UsageError("status", $"Querying {flag} requires exactly one cluster name.");
            }

            return Address(clusters, names[0], parsed.Flag("ip"), endpoint);
        }

        var matched = names.Count == 0 ? clusters : clusters.Where(c => names.Any(n => Glob(n).IsMatch(c.Name))).ToList();
        if (output == "json")
        {
            Console.Out.WriteLine(StatusJson.Render(matched));
            return 0;
        }

        var missing = names.Where(n => !clusters.Any(c => Glob(n).IsMatch(c.Name))).ToList();
        Console.Out.Write(StatusTable.Render(run.Config, matched, missing, names.Count > 0, parsed.Flag("verbose"), run.NowSeconds));
        return 0;
    }

    private List<ClusterRecord> Refresh(FakeState state, IReadOnlyList<string> names)
    {
        foreach (var cluster in state.Clusters.ToList())
        {
            if (names.Count == 0 || names.Any(n => Glob(n).IsMatch(cluster.Name)))
            {
                StatusRefresh.Apply(state, cluster, run.NowSeconds);
            }
        }

        return state.Clusters;
    }

    private static int Address(IReadOnlyList<ClusterRecord> clusters, string name, bool ip, int? endpoint)
    {
        var cluster = clusters.FirstOrDefault(c => c.Name == name);
        if (cluster is null)
        {
            return SkyConsole.Exception("sky.exceptions.ClusterDoesNotExist", $"Cluster '{name}' does not exist.");
        }

        if (cluster.Status != ClusterStatus.Up)
        {
            return SkyConsole.Exception("sky.exceptions.ClusterNotUpError", $"Cluster '{name}' is not in UP status (status: {cluster.Status}).");
        }

        if (ip)
        {
            Console.Out.WriteLine("127.0.0.1");
            return 0;
        }

        if (endpoint is { } port)
        {
            if (!cluster.PortMap.TryGetValue(port, out var local))
            {
                var exposed = "[" + string.Join(", ", cluster.Ports.Select(p => $"'{p}'")) + "]";
                return SkyConsole.Exception("ValueError", $"Port {port} is not exposed on cluster '{name}'. Exposed ports: {exposed}");
            }

            Console.Out.WriteLine($"http://127.0.0.1:{local}");
            return 0;
        }

        if (cluster.PortMap.Count == 0)
        {
            Console.Out.WriteLine($"No endpoints exposed yet for cluster '{name}'.");
            return 0;
        }

        foreach (var (remote, local) in cluster.PortMap.OrderBy(p => p.Key))
        {
            Console.Out.WriteLine($"{remote}: http://127.0.0.1:{local}");
        }

        return 0;
    }

    /// <summary>Cluster arguments may be globs ("vllm-*"), as in SkyPilot.</summary>
    public static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$");
}
