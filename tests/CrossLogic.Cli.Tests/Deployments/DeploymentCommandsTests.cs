using System.Text.Json;
using CrossLogic.Testing;

namespace CrossLogic.Cli.Tests.Deployments;

/// <summary>`clctl deployments`, `nodes`, `status` and `events` against a fleet that really launches local machines.</summary>
public sealed class DeploymentCommandsTests(LocalFleetFixture fleet) : IClassFixture<LocalFleetFixture>
{
    private const string Name = LocalFleetFixture.Name;

    [Fact]
    public void Create_with_wait_shows_progress_and_events_and_ends_with_every_replica_ready()
    {
        var created = fleet.Created;
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("Created deployment web; waiting for 2 ready replica(s).", created.Stdout, StringComparison.Ordinal);
        Assert.Contains("pending", created.Stdout, StringComparison.Ordinal);
        Assert.Contains("LAUNCH", created.Stdout, StringComparison.Ordinal);
        Assert.Equal("Deployment web: 2/2 ready.", Lines(created.Stdout)[^1]);
        Assert.Equal("", created.Stderr);
    }

    [Fact]
    public async Task Deployments_list_prints_a_table_and_the_response_as_json()
    {
        var table = await fleet.RunAsync("deployments", "list");
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = Lines(table.Stdout);
        Assert.Equal(["NAME", "MODEL", "GPUS", "PROVISIONER", "DESIRED", "READY", "PENDING", "STATE"], Cells(lines[0]));
        Assert.Equal([Name, LocalFleetFixture.Model, "L4×1", "local", "2", "2", "0", "ACTIVE"], Cells(lines.Single(l => l.StartsWith(Name + " ", StringComparison.Ordinal))));

        var json = await fleet.RunAsync("deployments", "list", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var web = document.RootElement.GetProperty("deployments").EnumerateArray().Single(d => d.GetProperty("deploymentId").GetString() == Name);
        Assert.Equal("deployments/web", web.GetProperty("name").GetString());
        Assert.Equal(2, web.GetProperty("replicas").GetInt32());
        Assert.Equal("ACTIVE", web.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Nodes_list_shows_the_two_replicas_and_hides_gone_machines_unless_all()
    {
        var result = await fleet.RunAsync("nodes", "list", "--deployment", Name);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result.Stdout);
        Assert.StartsWith("NODE", lines[0], StringComparison.Ordinal);
        var serving = lines.Skip(1).Select(Cells).Where(c => c[1] == "READY").ToList();
        Assert.Equal(2, serving.Count);
        Assert.All(serving, c => Assert.Equal([Name, LocalFleetFixture.Model, "L4×1", "local"], c[2..6]));
        Assert.DoesNotContain(lines, l => l.Contains("TERMINATED", StringComparison.Ordinal));

        var json = await fleet.RunAsync("nodes", "list", "--all", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.True(document.RootElement.GetProperty("nodes").GetArrayLength() >= 2);
    }

    [Fact]
    public async Task Status_summarises_deployments_node_states_and_hourly_cost()
    {
        var result = await fleet.RunAsync("status");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result.Stdout);
        Assert.Contains(lines, l => l.StartsWith(Name + " ", StringComparison.Ordinal) && l.Contains("L4×1", StringComparison.Ordinal));
        Assert.Matches(@"^Nodes: .*\d+ READY", lines.Single(l => l.StartsWith("Nodes:", StringComparison.Ordinal)));
        // Local machines have no price.
        Assert.Matches(@"^Hourly cost: \$0\.00/h for \d+ running machine\(s\)", lines.Single(l => l.StartsWith("Hourly cost:", StringComparison.Ordinal)));

        var json = await fleet.RunAsync("status", "-o", "json");
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.True(document.RootElement.GetProperty("nodeCounts").GetProperty("READY").GetInt32() >= 2);
        Assert.Equal(0, document.RootElement.GetProperty("hourlyCost").GetDouble());
    }

    [Fact]
    public async Task Scale_with_wait_converges_down_to_one_and_back_up_to_two()
    {
        var down = await Clctl.RunAsync(fleet.Args("deployments", "scale", Name, "--replicas", "1", "--wait", "--timeout", "2m"), null, TimeSpan.FromMinutes(3));
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.Equal("Deployment web: 1/1 ready.", Lines(down.Stdout)[^1]);
        await Eventually.TrueAsync(async () => await ServingNodesAsync() == 1, TimeSpan.FromSeconds(30), "one serving replica after scaling down", pollMs: 200);

        var up = await Clctl.RunAsync(fleet.Args("deployments", "scale", Name, "--replicas", "2", "--wait", "--timeout", "2m"), null, TimeSpan.FromMinutes(3));
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("LAUNCH", up.Stdout, StringComparison.Ordinal);
        Assert.Equal("Deployment web: 2/2 ready.", Lines(up.Stdout)[^1]);
        Assert.Equal(2, await ServingNodesAsync());
    }

    [Fact]
    public async Task Events_follow_prints_a_launch_as_it_happens_a_short_wait_times_out_and_delete_waits_until_gone()
    {
        await using var follow = Clctl.Start(fleet.Args("events", "--follow", "--deployment", "slow"));

        var timedOut = await fleet.RunAsync("deployments", "create", "slow", "--model", LocalFleetFixture.Model, "--gpu", "L4", "--gpu-count", "1", "--replicas", "1", "--wait", "--timeout", "1ms");
        Assert.True(timedOut.ExitCode == 7, timedOut.ToString());
        Assert.StartsWith("clctl: timed out after 1ms waiting for deployment slow (ready 0/1", timedOut.Stderr, StringComparison.Ordinal);

        await Eventually.TrueAsync(() => follow.Output.Split('\n').Any(l => l.Contains("deployments/slow", StringComparison.Ordinal) && l.Contains(" LAUNCH ", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "a LAUNCH line:\n" + follow.Output);
        // SIGTERM, as `kill`, `timeout` and systemd end it (a background job's SIGINT may be ignored by inheritance).
        follow.Signal(15);
        Assert.True(await follow.WaitForExitAsync(TimeSpan.FromSeconds(10)), "follow did not end on SIGTERM");
        Assert.True(follow.ExitCode == 0, $"exit {follow.ExitCode}\n{follow.Output}");

        var deleted = await Clctl.RunAsync(fleet.Args("deployments", "delete", "slow", "--wait", "--timeout", "2m"), null, TimeSpan.FromMinutes(3));
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Equal("Deployment slow is gone.", Lines(deleted.Stdout)[^1]);
        var gone = await fleet.RunAsync("deployments", "get", "slow");
        Assert.Equal(4, gone.ExitCode);
    }

    [Fact]
    public async Task Refusals_and_unknown_names_map_to_their_exit_codes_with_the_servers_detail()
    {
        var unknown = await fleet.RunAsync("deployments", "get", "no-such-deployment");
        Assert.True(unknown.ExitCode == 4, unknown.ToString());
        Assert.StartsWith("clctl: deployment 'no-such-deployment' not found", unknown.Stderr, StringComparison.Ordinal);

        var negative = await fleet.RunAsync("deployments", "create", "negative", "--model", LocalFleetFixture.Model, "--gpu", "L4", "--gpu-count", "1", "--replicas", "-1");
        Assert.True(negative.ExitCode == 5, negative.ToString());
        Assert.Contains("replicas", Lines(negative.Stderr)[0], StringComparison.Ordinal);

        var unknownFlag = await fleet.RunAsync("deployments", "list", "--no-such-flag");
        Assert.True(unknownFlag.ExitCode == 2, unknownFlag.ToString());
        Assert.Contains("--no-such-flag", unknownFlag.Stderr, StringComparison.Ordinal);
        Assert.Equal("", unknownFlag.Stdout);

        var dryRun = await fleet.RunAsync("deployments", "create", "preview", "--model", LocalFleetFixture.Model, "--gpu", "L4", "--gpu-count", "1", "--replicas", "3", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains("Nothing was created", dryRun.Stdout, StringComparison.Ordinal);
        Assert.Equal(4, (await fleet.RunAsync("deployments", "get", "preview")).ExitCode);
    }

    private async Task<int> ServingNodesAsync()
    {
        var json = await fleet.RunAsync("nodes", "list", "--deployment", Name, "-o", "json");
        using var document = JsonDocument.Parse(json.Stdout);
        return document.RootElement.TryGetProperty("nodes", out var nodes)
            ? nodes.EnumerateArray().Count(n => n.GetProperty("state").GetString() == "READY" && !(n.TryGetProperty("retiring", out var r) && r.GetBoolean()))
            : 0;
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A plain (redirected) table row's cells: columns are separated by two or more spaces.</summary>
    private static string[] Cells(string line) => System.Text.RegularExpressions.Regex.Split(line.Trim(), @"\s{2,}");
}
