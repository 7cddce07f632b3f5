namespace CrossLogic.FakeSky.Cli;

/// <summary>
/// The ways `sky` ends or asks, written as SkyPilot writes them: log lines on stdout, uncaught exceptions as
/// "module.Class: message" on stderr (exit 1), click usage errors on stderr (exit 2), prompts that abort without a TTY.
/// </summary>
internal static class SkyConsole
{
    public const int ExceptionExit = 1;
    public const int UsageExit = 2;

    public static int Exception(string type, string message)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"{type}: {message}");
        return ExceptionExit;
    }

    /// <summary>click.UsageError/NoSuchOption: usage line, help hint, blank line, "Error: ...".</summary>
    public static int UsageError(string command, string message)
    {
        var path = command.Length == 0 ? "sky" : $"sky {command}";
        Console.Error.WriteLine($"Usage: {path} {UsageArguments(command)}");
        Console.Error.WriteLine($"Try '{path} -h' for help.");
        Console.Error.WriteLine();
        Console.Error.WriteLine($"Error: {message}");
        return UsageExit;
    }

    /// <summary>click.confirm(abort=True) with nothing to read on stdin: the prompt, then "Aborted!".</summary>
    public static int AbortedPrompt(string prompt)
    {
        Console.Out.Write($"{prompt} [Y/n]: ");
        Console.Out.WriteLine();
        Console.Out.Flush();
        Console.Error.WriteLine("Aborted!");
        return ExceptionExit;
    }

    private static string UsageArguments(string command) => command switch
    {
        "" => "[OPTIONS] COMMAND [ARGS]...",
        "launch" => "[OPTIONS] [ENTRYPOINT]...",
        "status" or "down" or "stop" or "start" => "[OPTIONS] [CLUSTERS]...",
        _ => "[OPTIONS] [ARGS]...",
    };
}
