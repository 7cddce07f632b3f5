using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CrossLogic.IntegrationTests.Fleet;

/// <summary>Deployments on the local provisioner: agents as detached processes on this machine, mock engines.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LocalFleetTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_deployment_of_two_replicas_reaches_two_ready_nodes_that_serve_through_the_gateway()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres);
        var created = await fleet.CreateDeploymentAsync("two", replicas: 2);
        Assert.Equal(Deployment.Types.State.Active, created.State);
        Assert.Equal("local", created.Provisioner);

        var ready = await fleet.WaitReadyAsync("two", 2);
        Assert.All(ready, n => Assert.Matches("^cic-local-local-l4-od-[a-z0-9]{6}$", n.NodeId));
        Assert.All(ready, n => Assert.Equal((n.NodeId, "local", FleetHarness.Model), (n.ClusterName, n.Provisioner, n.Model)));
        Assert.Equal(2, fleet.Local!.Running().Count);
        var deployment = await fleet.Fleet.GetDeploymentAsync(new GetDeploymentRequest { Name = "deployments/two" });
        Assert.Equal((2, 0), (deployment.ReadyReplicas, deployment.PendingReplicas));

        var (key, _) = await fleet.ControlPlane.CreateApiKeyAsync("acme");
        using var http = new HttpClient();
        await Eventually.TrueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, fleet.ControlPlane.GatewayUrl + "/chat/completions")
            {
                Content = new StringContent($$"""{"model":"{{FleetHarness.Model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":4}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return (await http.SendAsync(request)).IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(20), "a chat completion through the gateway", pollMs: 200);
    }

    [Fact]
    public async Task With_two_control_planes_a_scale_down_drains_every_retired_node_whichever_replica_holds_its_stream()
    {
        // Every agent dials the second replica, and the first leads the reconciler: a teardown its worker carries out
        // drains the node through the second (node_commands); one the second's worker claims drains it directly.
        var second = FreePort.Next();
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres, new Dictionary<string, string>
        {
            ["Provisioners__Local__ControlPlaneUrl"] = $"http://127.0.0.1:{second}",
        });
        await fleet.StartControlPlaneAsync(second);
        await fleet.CreateDeploymentAsync("shrink2", replicas: 4);
        await fleet.WaitReadyAsync("shrink2", 4);

        await fleet.Fleet.UpdateDeploymentAsync(new UpdateDeploymentRequest
        {
            Deployment = new Deployment { Name = "deployments/shrink2", Replicas = 1 },
            UpdateMask = new FieldMask { Paths = { "replicas" } },
        });
        await Eventually.TrueAsync(async () => (await fleet.NodesAsync("shrink2")).Count(n => n.State == Node.Types.State.Terminated) == 3,
            TimeSpan.FromSeconds(90), "three nodes terminated", pollMs: 200);

        foreach (var gone in (await fleet.NodesAsync("shrink2")).Where(n => n.State == Node.Types.State.Terminated))
        {
            var events = await fleet.ControlPlane.EventsAsync(gone.NodeId);
            Assert.Contains(events, e => e.Kind == "ENGINE_DRAINED");
            Assert.Contains(events, e => e.Kind == "STATE_CHANGED" && e.Detail["to"] == "TERMINATED" && e.Reason.Contains("drained") && !e.Reason.Contains("not drained"));
        }

        await using var connection = new Npgsql.NpgsqlConnection(fleet.ConnectionString);
        await connection.OpenAsync();
        await using var relayed = new Npgsql.NpgsqlCommand("SELECT count(*) FROM node_commands WHERE state = 'acknowledged'", connection);
        Console.WriteLine($"drains relayed through the other replica: {await relayed.ExecuteScalarAsync()} of 3");
    }

    [Fact]
    public async Task Scaling_three_to_one_drains_and_tears_down_two()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres);
        await fleet.CreateDeploymentAsync("shrink", replicas: 3);
        var before = await fleet.WaitReadyAsync("shrink", 3);

        var scaled = await fleet.Fleet.UpdateDeploymentAsync(new UpdateDeploymentRequest
        {
            Deployment = new Deployment { Name = "deployments/shrink", Replicas = 1 },
            UpdateMask = new FieldMask { Paths = { "replicas" } },
        });
        Assert.Equal(1, scaled.Replicas);

        var after = await fleet.WaitReadyAsync("shrink", 1);
        await Eventually.TrueAsync(async () => (await fleet.NodesAsync("shrink")).Count(n => n.State == Node.Types.State.Terminated) == 2,
            TimeSpan.FromSeconds(60), "two nodes terminated", pollMs: 200);
        Assert.Contains(after[0].NodeId, before.Select(n => n.NodeId));
        Assert.Single(fleet.Local!.Running());

        foreach (var gone in (await fleet.NodesAsync("shrink")).Where(n => n.State == Node.Types.State.Terminated))
        {
            var events = await fleet.ControlPlane.EventsAsync(gone.NodeId);
            Assert.Contains(events, e => e.Kind == "RETIRING" && e.Reason.Contains("scale down 3 → 1"));
            Assert.Contains(events, e => e.Kind == "ENGINE_DRAINED");
            Assert.Contains(events, e => e.Kind == "STATE_CHANGED" && e.Detail["to"] == "TERMINATED" && e.Reason.Contains("drained"));
        }

        var decisions = await fleet.DeploymentEventsAsync("shrink");
        Assert.Equal(3, decisions.Count(e => e.Kind == "LAUNCH"));
        Assert.Equal(2, decisions.Count(e => e.Kind == "RETIRE"));
        Assert.Contains(decisions, e => e.Kind == "UPDATED" && e.Reason == "replicas 3 → 1");
    }

    [Fact]
    public async Task Deleting_a_deployment_tears_down_every_node_then_removes_it()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres);
        await fleet.CreateDeploymentAsync("gone", replicas: 1);
        await fleet.WaitReadyAsync("gone", 1);

        var deleting = await fleet.Fleet.DeleteDeploymentAsync(new DeleteDeploymentRequest { Name = "deployments/gone" });
        Assert.Equal(Deployment.Types.State.Deleting, deleting.State);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await fleet.Fleet.GetDeploymentAsync(new GetDeploymentRequest { Name = "deployments/gone" });
                return false;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return true;
            }
        }, TimeSpan.FromSeconds(60), "deployment gone", pollMs: 200);
        Assert.Empty(fleet.Local!.Running());
        Assert.All(await fleet.NodesAsync("gone"), n => Assert.Equal(Node.Types.State.Terminated, n.State));
        Assert.DoesNotContain((await fleet.Fleet.ListDeploymentsAsync(new ListDeploymentsRequest())).Deployments, d => d.DeploymentId == "gone");
    }

    [Fact]
    public async Task A_machine_that_dies_is_marked_lost_and_replaced()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres);
        await fleet.CreateDeploymentAsync("ghost", replicas: 1);
        var first = Assert.Single(await fleet.WaitReadyAsync("ghost", 1));

        // The machine dies with everything on it: the provider sees it stopped.
        var pid = fleet.Local!.Running()[first.NodeId];
        Signals.Send(-pid, Signals.SigKill);
        await Eventually.TrueAsync(async () => (await fleet.ControlPlane.GetNodeAsync(first.NodeId)).State == Node.Types.State.Lost,
            TimeSpan.FromSeconds(30), "the dead machine marked lost", pollMs: 100);

        var replacement = Assert.Single(await fleet.WaitReadyAsync("ghost", 1));
        Assert.NotEqual(first.NodeId, replacement.NodeId);
        var lost = await fleet.ControlPlane.GetNodeAsync(first.NodeId);
        Assert.Equal(Node.Types.State.Lost, lost.State);
        Assert.Contains("stopped", lost.StateReason);
        Assert.Contains(await fleet.DeploymentEventsAsync("ghost"), e => e.Kind == "NODE_LOST");
    }

    [Fact]
    public async Task An_orphan_cluster_is_torn_down_after_the_grace_period_and_others_are_left_alone()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres);
        var orphan = StartFakeCluster(fleet.Local!.Directory, "cic-local-local-l4-od-orphan");
        var foreign = StartFakeCluster(fleet.Local.Directory, "not-ours");
        try
        {
            await Eventually.TrueAsync(() => !LocalClusters.IsAlive(orphan), TimeSpan.FromSeconds(30), "orphan torn down", pollMs: 200);
            Assert.True(LocalClusters.IsAlive(foreign));
            Assert.Contains("ORPHAN cic-local-local-l4-od-orphan", fleet.ControlPlane.Process.Output);
        }
        finally
        {
            Signals.TrySend(-foreign, Signals.SigKill);
            Signals.TrySend(-orphan, Signals.SigKill);
        }
    }

    [Fact]
    public async Task A_single_node_is_launched_and_terminated_on_request()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres);
        var node = await fleet.Fleet.LaunchNodeAsync(new LaunchNodeRequest { Model = FleetHarness.Model, GpuType = "h100", GpuCount = 1 });
        Assert.Equal(("H100", "local", ""), (node.GpuType, node.Provisioner, node.Deployment));
        await Eventually.TrueAsync(async () => (await fleet.ControlPlane.GetNodeAsync(node.NodeId)).State == Node.Types.State.Ready,
            TimeSpan.FromSeconds(60), "launched node ready", pollMs: 200);

        var terminating = await fleet.Fleet.TerminateNodeAsync(new TerminateNodeRequest { Name = node.Name, DrainTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)) });
        Assert.True(terminating.Retiring);
        await Eventually.TrueAsync(async () => (await fleet.ControlPlane.GetNodeAsync(node.NodeId)).State == Node.Types.State.Terminated,
            TimeSpan.FromSeconds(60), "node terminated", pollMs: 200);
        Assert.Empty(fleet.Local!.Running());

        var again = await Assert.ThrowsAsync<RpcException>(() => fleet.Fleet.TerminateNodeAsync(new TerminateNodeRequest { Name = node.Name }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_the_field_named()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres);
        Assert.Contains("deployment.replicas must not be negative",
            (await FleetHarness.InvalidAsync(() => fleet.CreateDeploymentAsync("bad", replicas: -1))).Status.Detail);
        Assert.Contains("deployment.gpu_type 'H900'",
            (await FleetHarness.InvalidAsync(() => fleet.CreateDeploymentAsync("bad", 1, gpu: "H900"))).Status.Detail);
        Assert.Contains("deployment.min_replicas (3) must not exceed max_replicas (2)",
            (await FleetHarness.InvalidAsync(() => fleet.CreateDeploymentAsync("bad", 2, configure: d => (d.MinReplicas, d.MaxReplicas) = (3, 2)))).Status.Detail);
        Assert.Contains("deployment.model is required",
            (await FleetHarness.InvalidAsync(() => fleet.CreateDeploymentAsync("bad", 1, configure: d => d.Model = ""))).Status.Detail);
        Assert.Contains("--api-key is set by CrossLogic",
            (await FleetHarness.InvalidAsync(() => fleet.CreateDeploymentAsync("bad", 1, configure: d => d.EngineArgs.Add("--api-key=x")))).Status.Detail);
        Assert.Contains("deployment_id must be",
            (await FleetHarness.InvalidAsync(() => fleet.CreateDeploymentAsync("Bad Id", 1))).Status.Detail);
        Assert.Contains("no local offer",
            (await FleetHarness.InvalidAsync(() => fleet.CreateDeploymentAsync("bad", 1, configure: d => d.Placement = new Placement { Infra = { "aws" } }))).Status.Detail);

        await fleet.CreateDeploymentAsync("ok", replicas: 0);
        Assert.Contains("'gpu_type' cannot be changed", (await FleetHarness.InvalidAsync(() => fleet.Fleet.UpdateDeploymentAsync(new UpdateDeploymentRequest
        {
            Deployment = new Deployment { Name = "deployments/ok", GpuType = "H100" },
            UpdateMask = new FieldMask { Paths = { "gpu_type" } },
        }).ResponseAsync)).Status.Detail);
        Assert.Contains("replicas (20) must not exceed max_replicas (8)", (await FleetHarness.InvalidAsync(() => fleet.Fleet.UpdateDeploymentAsync(new UpdateDeploymentRequest
        {
            Deployment = new Deployment { Name = "deployments/ok", Replicas = 20 },
            UpdateMask = new FieldMask { Paths = { "replicas" } },
        }).ResponseAsync)).Status.Detail);
        var duplicate = await Assert.ThrowsAsync<RpcException>(() => fleet.CreateDeploymentAsync("ok", replicas: 0));
        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(() => fleet.Fleet.GetDeploymentAsync(new GetDeploymentRequest { Name = "deployments/nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        await fleet.ControlPlane.CreateNodeAsync("by-hand");
        var handMade = await Assert.ThrowsAsync<RpcException>(() => fleet.Fleet.TerminateNodeAsync(new TerminateNodeRequest { Name = "nodes/by-hand" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, handMade.StatusCode);
        Assert.Empty(fleet.Local!.Running());
    }

    [Fact]
    public async Task Validate_only_explains_the_automatic_sizing_without_creating_anything()
    {
        await using var fleet = await FleetHarness.StartLocalAsync(postgres.Postgres);
        var preview = await fleet.Fleet.CreateDeploymentAsync(new CreateDeploymentRequest
        {
            DeploymentId = "sized",
            ValidateOnly = true,
            Deployment = new Deployment { Model = "meta-llama/Llama-3.1-8B-Instruct", GpuType = "L4", GpuCount = 0, Replicas = 1 },
        });
        Assert.Equal(2, preview.GpuCount);
        Assert.Equal(2, preview.Sizing.TensorParallelSize);
        Assert.Contains("weights 15.0 GiB", preview.Sizing.Explanation);
        Assert.Single(preview.Offers);
        Assert.Empty((await fleet.Fleet.ListDeploymentsAsync(new ListDeploymentsRequest())).Deployments);
        Assert.Contains("parameters_billions", (await FleetHarness.InvalidAsync(() => fleet.Fleet.CreateDeploymentAsync(new CreateDeploymentRequest
        {
            Deployment = new Deployment { Model = "acme/unknown-model", GpuType = "L4", Replicas = 1 },
        }).ResponseAsync)).Status.Detail);
    }

    /// <summary>A process recorded in the provisioner's directory as a cluster, as if left by a lost database.</summary>
    private static int StartFakeCluster(string stateDirectory, string name)
    {
        var dir = Path.Combine(stateDirectory, name);
        Directory.CreateDirectory(dir);
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("setsid sleep 600 >/dev/null 2>&1 </dev/null & echo $!");
        using var shell = Process.Start(start)!;
        var pid = int.Parse(shell.StandardOutput.ReadToEnd().Trim(), CultureInfo.InvariantCulture);
        shell.WaitForExit();
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var startTime = long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(dir, "cluster.json"),
            $$"""{"ClusterName":"{{name}}","NodeId":"{{name}}","Pid":{{pid}},"StartTime":{{startTime}},"EnginePort":1,"ProbePort":2,"LaunchedAt":"2026-01-01T00:00:00+00:00"}""");
        return pid;
    }
}
