using CrossLogic.Testing;

namespace CrossLogic.Cli.Tests.Invocation;

/// <summary>Where clctl connects and which token it sends: flags, environment, config file, and the errors of each.</summary>
public sealed class ConnectionTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private const string WrongToken = "wrong-token-0123456789abcdef-secret";

    [Fact]
    public async Task A_bad_token_exits_6_and_says_how_to_set_the_token_without_printing_it()
    {
        var result = await Clctl.RunAsync(["--server", fixture.ControlPlane.GrpcUrl, "--token", WrongToken, "deployments", "list"], null);

        Assert.True(result.ExitCode == 6, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("clctl: the control plane refused the token (admin token not valid)", lines[0]);
        Assert.StartsWith("set --token, CLCTL_TOKEN (or CL_ADMIN_TOKEN) or \"token\" in ", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain(WrongToken, result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_token_at_all_exits_6()
    {
        var result = await Clctl.RunAsync(["--server", fixture.ControlPlane.GrpcUrl, "status"], null);

        Assert.True(result.ExitCode == 6, result.ToString());
        Assert.StartsWith("clctl: no token was sent", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_exits_3_and_names_the_address()
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var result = await Clctl.RunAsync(["--server", url, "--token", ControlPlaneProcess.AdminToken, "status"], null);

        Assert.True(result.ExitCode == 3, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"clctl: cannot reach the control plane at {url} (connection refused)", lines[0]);
        Assert.StartsWith("is it running? set --server, CLCTL_SERVER or \"server\" in ", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_file_supplies_server_and_token()
    {
        var home = Directory.CreateTempSubdirectory("clctl-config-").FullName;
        Directory.CreateDirectory(Path.Combine(home, "clctl"));
        await File.WriteAllTextAsync(Path.Combine(home, "clctl", "config.json"), Config(fixture.ControlPlane.GrpcUrl, ControlPlaneProcess.AdminToken));

        var result = await Clctl.RunAsync(["deployments", "list"], new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = home });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("No deployments.", result.Stdout.Trim());
    }

    [Fact]
    public async Task Token_flag_beats_environment_which_beats_the_config_file()
    {
        var config = Path.Combine(fixture.Dir, "precedence.json");
        await File.WriteAllTextAsync(config, Config(fixture.ControlPlane.GrpcUrl, WrongToken));
        string[] list = ["--config", config, "deployments", "list"];

        var fileOnly = await Clctl.RunAsync(list, null);
        Assert.True(fileOnly.ExitCode == 6, fileOnly.ToString());

        var environmentBeatsFile = await Clctl.RunAsync(list, new Dictionary<string, string> { ["CLCTL_TOKEN"] = ControlPlaneProcess.AdminToken });
        Assert.True(environmentBeatsFile.ExitCode == 0, environmentBeatsFile.ToString());

        var adminTokenVariable = await Clctl.RunAsync(list, new Dictionary<string, string> { ["CL_ADMIN_TOKEN"] = ControlPlaneProcess.AdminToken });
        Assert.True(adminTokenVariable.ExitCode == 0, adminTokenVariable.ToString());

        var clctlTokenBeatsAdminToken = await Clctl.RunAsync(list, new Dictionary<string, string> { ["CLCTL_TOKEN"] = WrongToken, ["CL_ADMIN_TOKEN"] = ControlPlaneProcess.AdminToken });
        Assert.True(clctlTokenBeatsAdminToken.ExitCode == 6, clctlTokenBeatsAdminToken.ToString());

        var flagBeatsEnvironment = await Clctl.RunAsync(["--token", ControlPlaneProcess.AdminToken, .. list], new Dictionary<string, string> { ["CLCTL_TOKEN"] = WrongToken });
        Assert.True(flagBeatsEnvironment.ExitCode == 0, flagBeatsEnvironment.ToString());

        var serverFlagBeatsEnvironment = await Clctl.RunAsync(
            ["--server", fixture.ControlPlane.GrpcUrl, "--token", ControlPlaneProcess.AdminToken, "deployments", "list"],
            new Dictionary<string, string> { ["CLCTL_SERVER"] = $"http://127.0.0.1:{FreePort.Next()}" });
        Assert.True(serverFlagBeatsEnvironment.ExitCode == 0, serverFlagBeatsEnvironment.ToString());
    }

    [Fact]
    public async Task A_config_file_that_is_not_json_is_an_error_naming_the_file()
    {
        var config = Path.Combine(fixture.Dir, "broken.json");
        await File.WriteAllTextAsync(config, "{ \"server\": ");

        var result = await Clctl.RunAsync(["--config", config, "status"], null);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith($"clctl: config file {config} is invalid: not valid JSON", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_errors_exit_2_before_anything_is_sent()
    {
        var unknownFlag = await fixture.RunAsync("status", "--frobnicate");
        Assert.True(unknownFlag.ExitCode == 2, unknownFlag.ToString());
        Assert.Contains("--frobnicate", unknownFlag.Stderr, StringComparison.Ordinal);

        var missing = await fixture.RunAsync("deployments", "create", "x", "--model", "m");
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("--gpu", missing.Stderr, StringComparison.Ordinal);

        var badDuration = await fixture.RunAsync("usage", "--tenant", "acme", "--since", "yesterday");
        Assert.True(badDuration.ExitCode == 2, badDuration.ToString());
        Assert.Contains("--since: 'yesterday' is not a duration", badDuration.Stderr, StringComparison.Ordinal);

        var help = await Clctl.RunAsync("--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("7  --wait timed out", help.Stdout, StringComparison.Ordinal);
    }

    private static string Config(string server, string token) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["server"] = server, ["token"] = token });
}
