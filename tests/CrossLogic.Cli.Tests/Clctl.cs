using System.Diagnostics;
using CrossLogic.Testing;

namespace CrossLogic.Cli.Tests;

/// <summary>
/// clctl as an operator runs it: `dotnet clctl.dll …` as a child process, its output redirected (so plain, never live).
/// The environment is cleaned of this machine's CLCTL_* variables and points XDG_CONFIG_HOME at an empty directory,
/// so only what a test passes decides where clctl goes and which token it sends.
/// </summary>
public static class Clctl
{
    private static readonly string EmptyConfigHome = Directory.CreateTempSubdirectory("clctl-noconfig-").FullName;

    public static string Dll
    {
        get
        {
            var path = Path.Combine(RepoPaths.Root, "cli", "CrossLogic.Cli", "bin", RepoPaths.Configuration, "net10.0", "clctl.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"clctl is not built at {path}: dotnet build -c {RepoPaths.Configuration}");
        }
    }

    public static Task<ClctlResult> RunAsync(params string[] args) => RunAsync(args, null);

    public static async Task<ClctlResult> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in Environment(environment))
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"clctl {string.Join(' ', args)} did not exit in time. Output so far:\n{await stdout}\n{await stderr}");
        }

        return new ClctlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A long-running clctl (`events --follow`), stdout and stderr together, to wait on and signal.</summary>
    public static ChildProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        ChildProcess.Start("dotnet", [Dll, .. args], Environment(environment));

    private static Dictionary<string, string> Environment(IReadOnlyDictionary<string, string>? overrides)
    {
        // Empty counts as unset for clctl, so these cannot leak in from the machine running the tests.
        var environment = new Dictionary<string, string>
        {
            ["CLCTL_SERVER"] = "",
            ["CLCTL_TOKEN"] = "",
            ["CL_ADMIN_TOKEN"] = "",
            ["XDG_CONFIG_HOME"] = EmptyConfigHome,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }
}
