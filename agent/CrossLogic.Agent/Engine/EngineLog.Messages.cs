using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Engine;

/// <summary>Engine supervision log messages, event ids 2000-2099.</summary>
internal static partial class EngineLogMessages
{
    [LoggerMessage(2000, LogLevel.Information, "Starting engine: {CommandLine}")]
    public static partial void Starting(ILogger logger, string commandLine);

    [LoggerMessage(2001, LogLevel.Information, "Engine ready after {LoadSeconds:0.0} s, serving {Model}")]
    public static partial void Ready(ILogger logger, double loadSeconds, string model);

    [LoggerMessage(2002, LogLevel.Warning, "Engine exited with code {ExitCode}; restarting in {DelayMs} ms")]
    public static partial void Exited(ILogger logger, int exitCode, double delayMs);

    [LoggerMessage(2003, LogLevel.Error, "Engine crash loop: {Exits} exits within {WindowSeconds} s; no more restarts until told")]
    public static partial void CrashLoop(ILogger logger, int exits, int windowSeconds);

    [LoggerMessage(2004, LogLevel.Warning, "Engine failed {Checks} health checks in a row; killing it")]
    public static partial void Unhealthy(ILogger logger, int checks);

    [LoggerMessage(2005, LogLevel.Information, "Engine drained in {Seconds:0.0} s ({Cut} requests still running were cut)")]
    public static partial void Drained(ILogger logger, double seconds, int cut);

    [LoggerMessage(2006, LogLevel.Error, "Engine could not start: {Error}")]
    public static partial void StartFailed(ILogger logger, string error);

    [LoggerMessage(2007, LogLevel.Warning, "Engine ignored SIGTERM for {GraceSeconds} s; killing its process group")]
    public static partial void Killed(ILogger logger, int graceSeconds);

    [LoggerMessage(2008, LogLevel.Warning, "setsid/setpriv not found: the engine runs without its process group and parent-death guard")]
    public static partial void NoGuards(ILogger logger);
}
