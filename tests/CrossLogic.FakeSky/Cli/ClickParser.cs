namespace CrossLogic.FakeSky.Cli;

/// <summary>How an option takes its value, as click declares it.</summary>
internal enum OptionKind
{
    /// <summary>No value; stores <see cref="OptionSpec.FlagValue"/> (so --use-spot / --no-use-spot share one key).</summary>
    Flag,

    /// <summary>One value; a repeat overrides.</summary>
    Value,

    /// <summary>One value per occurrence, all kept (--env, --secret).</summary>
    Multiple,
}

/// <summary>One click option: the key it stores under and every spelling of it.</summary>
internal sealed record OptionSpec(string Key, OptionKind Kind, string[] Names, string FlagValue = "true")
{
    public static OptionSpec Flag(string key, params string[] names) => new(key, OptionKind.Flag, names);

    public static OptionSpec Negated(string key, params string[] names) => new(key, OptionKind.Flag, names, "false");

    public static OptionSpec Value(string key, params string[] names) => new(key, OptionKind.Value, names);

    public static OptionSpec Multiple(string key, params string[] names) => new(key, OptionKind.Multiple, names);
}

/// <summary>The options and arguments of one command line.</summary>
internal sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _values = [];

    public List<string> Arguments { get; } = [];

    public bool Has(string key) => _values.ContainsKey(key);

    public string? Get(string key) => _values.TryGetValue(key, out var values) ? values[^1] : null;

    public IReadOnlyList<string> GetAll(string key) => _values.TryGetValue(key, out var values) ? values : [];

    public bool Flag(string key) => Get(key) == "true";

    public bool? Tristate(string key) => Get(key) switch { "true" => true, "false" => false, _ => null };

    public void Add(string key, string value)
    {
        if (!_values.TryGetValue(key, out var values))
        {
            _values[key] = values = [];
        }

        values.Add(value);
    }
}

/// <summary>
/// Parses a command line the way click does (long/short options, --opt=value, -cNAME, -yd bundles, `--`),
/// and reports click's messages for what it rejects.
/// </summary>
internal static class ClickParser
{
    public static ParsedArgs Parse(IReadOnlyList<string> args, IReadOnlyList<OptionSpec> specs, out string? error)
    {
        var parsed = new ParsedArgs();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                parsed.Arguments.AddRange(args.Skip(i + 1));
                break;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                parsed.Arguments.Add(arg);
                continue;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? arg : arg[..eq];
                var spec = Find(specs, name);
                if (spec is null)
                {
                    error = $"No such option: {name}";
                    return parsed;
                }

                if (spec.Kind == OptionKind.Flag)
                {
                    if (eq >= 0)
                    {
                        error = $"Option '{name}' does not take a value.";
                        return parsed;
                    }

                    parsed.Add(spec.Key, spec.FlagValue);
                }
                else if (eq >= 0)
                {
                    parsed.Add(spec.Key, arg[(eq + 1)..]);
                }
                else if (i + 1 < args.Count)
                {
                    parsed.Add(spec.Key, args[++i]);
                }
                else
                {
                    error = $"Option '{name}' requires an argument.";
                    return parsed;
                }

                continue;
            }

            // Short options: "-c NAME", "-cNAME", and bundles of flags like "-yd".
            for (var c = 1; c < arg.Length; c++)
            {
                var name = "-" + arg[c];
                var spec = Find(specs, name);
                if (spec is null)
                {
                    error = $"No such option: {name}";
                    return parsed;
                }

                if (spec.Kind == OptionKind.Flag)
                {
                    parsed.Add(spec.Key, spec.FlagValue);
                    continue;
                }

                if (c + 1 < arg.Length)
                {
                    parsed.Add(spec.Key, arg[(c + 1)..]);
                }
                else if (i + 1 < args.Count)
                {
                    parsed.Add(spec.Key, args[++i]);
                }
                else
                {
                    error = $"Option '{name}' requires an argument.";
                    return parsed;
                }

                break;
            }
        }

        return parsed;
    }

    private static OptionSpec? Find(IReadOnlyList<OptionSpec> specs, string name)
    {
        foreach (var spec in specs)
        {
            if (spec.Names.Contains(name))
            {
                return spec;
            }
        }

        return null;
    }
}
