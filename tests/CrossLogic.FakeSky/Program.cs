using System.Runtime.InteropServices;
using CrossLogic.FakeSky.Commands;
using CrossLogic.FakeSky.Home;

// fake-sky: a stand-in for the SkyPilot CLI. FAKE_SKY_HOME plays ~/.sky; see README.md.
var home = FakeSkyHome.FromEnvironment();
if (home is null)
{
    Console.Error.WriteLine($"fake-sky: {FakeSkyHome.Variable} is not set; it names the folder that plays ~/.sky (state.json, calls.log, config.json).");
    return 2;
}

var time = TimeProvider.System;
var started = time.GetUtcNow();
if (!ConfigReader.TryRead(home, out var config, out var configError))
{
    Console.Error.WriteLine($"fake-sky: invalid config: {configError}");
    CallLog.Append(home, args, 2, null, started);
    return 2;
}

var run = new Invocation(home, config, args, time);
var logged = 0;
void Log(int exitCode)
{
    if (Interlocked.Exchange(ref logged, 1) != 0)
    {
        return;
    }

    try
    {
        CallLog.Append(home, args, exitCode, run.TaskYaml, started);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"fake-sky: could not append to calls.log: {e.Message}");
    }
}

// A control plane that gives up on a launch kills it: the call is still logged (128 + signal, as a shell reports it).
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Log(143));
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Log(130));

var exitCode = 1;
try
{
    exitCode = Dispatcher.Run(run);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
{
    // A broken FAKE_SKY_HOME or a lock held for 30 s: say so instead of dying with a runtime crash.
    Console.Out.Flush();
    Console.Error.WriteLine($"fake-sky: {e.GetType().Name}: {e.Message}");
}
finally
{
    Console.Out.Flush();
    Log(exitCode);
}

return exitCode;
