using System.Globalization;
using CrossLogic.FakeSky.Cli;

namespace CrossLogic.FakeSky.Commands;

/// <summary>`sky launch` options, parsed and checked as click would.</summary>
internal sealed class LaunchRequest
{
    public static readonly OptionSpec[] Options =
    [
        OptionSpec.Flag("yes", "-y", "--yes"),
        OptionSpec.Flag("detach_run", "-d", "--detach-run"),
        OptionSpec.Value("cluster", "-c", "--cluster"),
        OptionSpec.Multiple("secret", "--secret"),
        OptionSpec.Multiple("env", "--env"),
        OptionSpec.Value("env_file", "--env-file"),
        OptionSpec.Value("infra", "--infra"),
        OptionSpec.Value("cloud", "--cloud"),
        OptionSpec.Value("region", "--region"),
        OptionSpec.Value("zone", "--zone"),
        OptionSpec.Flag("use_spot", "--use-spot"),
        OptionSpec.Negated("use_spot", "--no-use-spot"),
        OptionSpec.Value("gpus", "--gpus"),
        OptionSpec.Value("instance_type", "-t", "--instance-type"),
        OptionSpec.Value("cpus", "--cpus"),
        OptionSpec.Value("memory", "--memory"),
        OptionSpec.Value("num_nodes", "--num-nodes"),
        OptionSpec.Value("disk_size", "--disk-size"),
        OptionSpec.Value("disk_tier", "--disk-tier"),
        OptionSpec.Value("network_tier", "--network-tier"),
        OptionSpec.Multiple("ports", "--ports"),
        OptionSpec.Value("image_id", "--image-id"),
        OptionSpec.Value("name", "-n", "--name"),
        OptionSpec.Value("workdir", "--workdir"),
        OptionSpec.Flag("retry_until_up", "-r", "--retry-until-up"),
        OptionSpec.Flag("down", "--down"),
        OptionSpec.Value("idle_minutes", "-i", "--idle-minutes-to-autostop"),
        OptionSpec.Value("wait_for", "--wait-for"),
        OptionSpec.Flag("dryrun", "--dryrun"),
        OptionSpec.Flag("no_setup", "--no-setup"),
        OptionSpec.Flag("fast", "--fast"),
        OptionSpec.Flag("async", "--async"),
        OptionSpec.Negated("async", "--no-async"),
        OptionSpec.Multiple("config", "--config"),
        OptionSpec.Value("clone_disk_from", "--clone-disk-from"),
        OptionSpec.Value("git_url", "--git-url"),
        OptionSpec.Value("git_ref", "--git-ref"),
    ];

    public required ParsedArgs Args { get; init; }

    public string? Cluster => Args.Get("cluster");

    public bool Yes => Args.Flag("yes");

    public bool RetryUntilUp => Args.Flag("retry_until_up");

    public int? IdleMinutes { get; private init; }

    public int? DiskSize { get; private init; }

    public int? NumNodes { get; private init; }

    public List<KeyValuePair<string, string>> Envs { get; } = [];

    public List<KeyValuePair<string, string>> Secrets { get; } = [];

    /// <summary>Parses options; on a click usage error returns null with the message.</summary>
    public static LaunchRequest? Parse(IReadOnlyList<string> args, out string? usageError)
    {
        var parsed = ClickParser.Parse(args, Options, out usageError);
        if (usageError is not null)
        {
            return null;
        }

        int? idle = null, disk = null, nodes = null;
        if (!TryInt(parsed, "idle_minutes", "'-i' / '--idle-minutes-to-autostop'", ref idle, out usageError)
            || !TryInt(parsed, "disk_size", "'--disk-size'", ref disk, out usageError)
            || !TryInt(parsed, "num_nodes", "'--num-nodes'", ref nodes, out usageError))
        {
            return null;
        }

        var request = new LaunchRequest { Args = parsed, IdleMinutes = idle, DiskSize = disk, NumNodes = nodes };
        if (parsed.Get("env_file") is { } envFile)
        {
            if (!File.Exists(envFile))
            {
                usageError = $"Invalid value for '--env-file': Path '{envFile}' does not exist.";
                return null;
            }

            foreach (var line in File.ReadAllLines(envFile))
            {
                var trimmed = line.Trim();
                if (trimmed.Length > 0 && trimmed[0] != '#' && trimmed.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
                {
                    request.Envs.Add(new(trimmed[..eq].Trim(), trimmed[(eq + 1)..].Trim().Trim('"')));
                }
            }
        }

        if (!TryKeyValues(parsed.GetAll("env"), "--env", request.Envs, out usageError)
            || !TryKeyValues(parsed.GetAll("secret"), "--secret", request.Secrets, out usageError))
        {
            return null;
        }

        return request;
    }

    private static bool TryInt(ParsedArgs parsed, string key, string display, ref int? value, out string? error)
    {
        error = null;
        if (parsed.Get(key) is not { } text)
        {
            return true;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            value = number;
            return true;
        }

        error = $"Invalid value for {display}: '{text}' is not a valid integer.";
        return false;
    }

    /// <summary>KEY=VAL, or KEY alone taking the value from the local environment (as `sky launch` does).</summary>
    private static bool TryKeyValues(IReadOnlyList<string> items, string option, List<KeyValuePair<string, string>> into, out string? error)
    {
        error = null;
        foreach (var item in items)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                into.Add(new(item[..eq], item[(eq + 1)..]));
                continue;
            }

            var local = Environment.GetEnvironmentVariable(item);
            if (local is null)
            {
                error = $"Invalid value for '{option}': {item} is not set in local environment.";
                return false;
            }

            into.Add(new(item, local));
        }

        return true;
    }
}
