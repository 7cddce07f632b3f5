using System.CommandLine;
using System.CommandLine.Parsing;
using CrossLogic.Cli.Output;

namespace CrossLogic.Cli.Invocation;

/// <summary>Options whose values clctl parses itself; a bad value is a usage error (exit 2) naming the option.</summary>
internal static class CliOptions
{
    /// <summary>
    /// A duration such as `30s`, `10m`, `2h`, `30d`. The default is applied by <see cref="DurationOption.Get"/> and
    /// named in the description, so help shows `10m` rather than `00:10:00`.
    /// </summary>
    public static DurationOption Duration(string name, string description, TimeSpan defaultValue) =>
        new(OptionalDuration(name, $"{description} (default {Formats.Duration(defaultValue)})"), defaultValue);

    /// <summary>A duration that may be left unset (the server's default applies).</summary>
    public static Option<TimeSpan?> OptionalDuration(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "DURATION",
        CustomParser = result => ParseDuration(result, name),
    };

    /// <summary>A string that must be one of <paramref name="choices"/>.</summary>
    public static Option<string?> Choice(string name, string description, params string[] choices)
    {
        var option = new Option<string?>(name) { Description = description };
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    /// <summary>An option that may be repeated (`--infra aws --infra gcp`).</summary>
    public static Option<string[]> Repeated(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
    };

    /// <summary>A count; its range is the server's to check, so the refusal names the field as the API does.</summary>
    public static Option<int> Count(string name, string description, int defaultValue, bool required = false)
    {
        var option = new Option<int>(name) { Description = description, HelpName = "N", Required = required };
        if (!required)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        return option;
    }

    private static TimeSpan? ParseDuration(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (DurationParser.TryParse(text, out var value))
        {
            return value;
        }

        result.AddError($"{name}: '{text}' is not a duration (write it like 30s, 10m, 2h or 30d)");
        return null;
    }
}
