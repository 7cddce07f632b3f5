using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;


namespace CrossLogic.Testing;

/// <summary>
/// A home for the fake `sky` CLI (tests/CrossLogic.FakeSky): its config (faults, the boot command that plays the VM),
/// its record of every call, and direct calls for what a cloud does behind the control plane's back (preempt, add).
/// </summary>
public sealed class FakeSky : IAsyncDisposable
{
    private FakeSky(string home) => Home = home;

    public string Home { get; }

    public static FakeSky Create(string home, object? config = null)
    {
        Directory.CreateDirectory(home);
        var sky = new FakeSky(home);
        sky.Configure(config ?? new { launch_delay_ms = 200, boot_command = BootAgentScript });
        return sky;
    }

    /// <summary>Boots the agent on the mock engine with the task's envs and secrets, as the real task's setup/run do.</summary>
    public static string BootAgentScript => Path.Combine(RepoPaths.Root, "tests", "CrossLogic.FakeSky", "boot-agent.sh");

    /// <summary>Settings that make a control plane drive this fake as its SkyPilot provisioner.</summary>
    public Dictionary<string, string> ControlPlaneSettings(string controlPlaneGrpcUrl) => new()
    {
        ["Fleet__Provisioners__0"] = "skypilot",
        ["Fleet__DefaultProvisioner"] = "skypilot",
        ["Fleet__CatalogDirectory"] = Path.Combine(RepoPaths.Root, "tests", "data", "skypilot", "catalog"),
        ["Provisioners__SkyPilot__Executable"] = "dotnet",
        ["Provisioners__SkyPilot__PrefixArgs__0"] = RepoPaths.FakeSkyDll,
        ["Provisioners__SkyPilot__Environment__FAKE_SKY_HOME"] = Home,
        ["Provisioners__SkyPilot__Environment__CROSSLOGIC_AGENT_BINARY"] = RepoPaths.AgentBinary,
        ["Provisioners__SkyPilot__Environment__CROSSLOGIC_MOCK_ENGINE_DLL"] = RepoPaths.MockEngineDll,
        ["Provisioners__SkyPilot__ControlPlaneUrl"] = controlPlaneGrpcUrl,
        ["Provisioners__SkyPilot__AgentUrl"] = "https://downloads.example.com/crosslogic/0.1.0/crosslogic-agent.tar.gz",
        ["Provisioners__SkyPilot__AgentSha256"] = new string('a', 64),
    };

    public void Configure(object config) => File.WriteAllText(Path.Combine(Home, "config.json"), JsonSerializer.Serialize(config));

    /// <summary>Runs the fake directly (as a cloud or operator would act); returns exit code and stdout+stderr.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(RepoPaths.FakeSkyDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["FAKE_SKY_HOME"] = Home;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The clusters the fake cloud has now, from `sky status --refresh`'s table (which every version prints).</summary>
    public async Task<IReadOnlyList<(string Name, string Status, string Infra)>> ClustersAsync()
    {
        var (exitCode, output) = await RunAsync("status", "--refresh");
        if (exitCode != 0)
        {
            throw new InvalidOperationException("sky status failed: " + output);
        }

        var lines = output.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\x1b\[[0-9;]*m", "").TrimEnd()).ToList();
        var header = lines.FindIndex(l => l.StartsWith("NAME ", StringComparison.Ordinal));
        if (header < 0)
        {
            return [];
        }

        var columns = System.Text.RegularExpressions.Regex.Split(lines[header], @"\s{2,}");
        var status = Array.IndexOf(columns, "STATUS");
        var infra = Array.IndexOf(columns, "INFRA");
        return [.. lines.Skip(header + 1).TakeWhile(l => l.Length > 0)
            .Select(l => System.Text.RegularExpressions.Regex.Split(l, @"\s{2,}"))
            .Select(cells => (cells[0], cells[status], cells[infra]))];
    }

    /// <summary>Every recorded call: argv and the task YAML of launches.</summary>
    public IReadOnlyList<(string[] Argv, string TaskYaml, int ExitCode)> Calls()
    {
        var path = Path.Combine(Home, "calls.log");
        if (!File.Exists(path))
        {
            return [];
        }

        return [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!).Select(n => (
            n["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray(),
            n["task_yaml"]?.GetValue<string>() ?? "",
            n["exit_code"]?.GetValue<int>() ?? -1))];
    }

    /// <summary>Tears down every cluster (their boot processes, i.e. agents and engines, with them).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            var names = (await ClustersAsync()).Select(c => c.Name).ToArray();
            if (names.Length > 0)
            {
                Configure(new { });
                await RunAsync(["down", "-y", .. names]);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            Console.WriteLine("fake sky cleanup: " + ex.Message);
        }
    }
}
