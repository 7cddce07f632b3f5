namespace CrossLogic.Cli.Tests;

/// <summary>What one clctl run left behind: its exit code and its two output streams, apart.</summary>
public sealed record ClctlResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
