namespace CrossLogic.Cli.Invocation;

/// <summary>
/// A failure clctl reports to the operator: what happened, what to do about it, and the exit code scripts see.
/// </summary>
internal sealed class CliException(int exitCode, string message, string? hint = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The second line on stderr: what to do next.</summary>
    public string? Hint { get; } = hint;
}
