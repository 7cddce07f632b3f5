using System.CommandLine;

namespace CrossLogic.Cli.Invocation;

/// <summary>A duration option and the value it takes when not given.</summary>
internal sealed record DurationOption(Option<TimeSpan?> Option, TimeSpan Default)
{
    public TimeSpan Get(ParseResult parse) => parse.GetValue(Option) ?? Default;
}
