namespace CrossLogic.Cli.Invocation;

/// <summary>clctl's exit codes; scripts branch on them, so they never change meaning.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
    public const int NotFound = 4;
    public const int Refused = 5;
    public const int Unauthenticated = 6;
    public const int WaitTimedOut = 7;

    /// <summary>The table printed by `clctl --help` and in the README.</summary>
    public const string Help = """
        Exit codes:
          0  ok
          1  anything else
          2  usage error (bad or missing flag or argument)
          3  cannot reach the control plane (connection refused, DNS, unavailable, deadline exceeded)
          4  not found
          5  request refused (invalid argument, failed precondition, already exists, out of range)
          6  unauthenticated or permission denied (check the token)
          7  --wait timed out
        """;
}
