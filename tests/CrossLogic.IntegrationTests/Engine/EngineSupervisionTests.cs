using System.Diagnostics;
using System.Text;
using CrossLogic.Contracts.V1;
using CrossLogic.IntegrationTests.Link;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Engine;

/// <summary>The agent owns the engine: real agent, real mock-engine processes speaking vLLM's HTTP API.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EngineSupervisionTests(PostgresFixture db) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crosslogic-engine-").FullName;
    private ControlPlaneProcess _controlPlane = null!;

    public async Task InitializeAsync() => _controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);

    public async Task DisposeAsync()
    {
        await _controlPlane.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task An_engine_that_loads_makes_the_node_ready()
    {
        var (agent, nodeId) = await StartAgentAsync(AgentProcess.MockEngine(LogFile(), new Dictionary<string, string> { ["MOCK_ENGINE_LOAD_DELAY_MS"] = "1000" }));
        await using var _ = agent;

        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).State == Node.Types.State.Starting && (await agent.Probe.ProbeAsync(new())).Engine.State == EngineStatus.Types.State.Loading, TimeSpan.FromSeconds(15), "loading is reported as loading, not failure");
        await WaitForStateAsync(nodeId, Node.Types.State.Ready, TimeSpan.FromSeconds(30));

        var node = await _controlPlane.GetNodeAsync(nodeId);
        Assert.Equal(EngineStatus.Types.State.Ready, node.Engine.State);
        var events = await _controlPlane.EventsAsync(nodeId);
        Assert.Contains(events, e => e.Kind == "ENGINE_STARTED" && e.Detail["command"].Contains("serve test-model", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Kind == "ENGINE_READY");
        // The engine's output only for the node's token; the health snapshot for anyone who can reach the port.
        Assert.Empty((await agent.Probe.ProbeAsync(new ProbeRequest())).EngineLogTail);
        var probe = await agent.Probe.ProbeAsync(new ProbeRequest(), agent.NodeTokenHeaders);
        Assert.Contains(probe.EngineLogTail, l => l.Contains("mock engine serving test-model", StringComparison.Ordinal));
        Assert.Contains("mock engine serving", await File.ReadAllTextAsync(LogFile()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_engine_is_restarted_and_the_node_goes_degraded_then_ready()
    {
        var (agent, nodeId) = await StartAgentAsync(AgentProcess.MockEngine(LogFile(), new Dictionary<string, string> { ["MOCK_ENGINE_LOAD_DELAY_MS"] = "1500" }));
        await using var _ = agent;
        await WaitForStateAsync(nodeId, Node.Types.State.Ready, TimeSpan.FromSeconds(30));
        var pid = (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.Pid;

        Process.GetProcessById(pid).Kill();

        await WaitForStateAsync(nodeId, Node.Types.State.Degraded, TimeSpan.FromSeconds(10));
        await WaitForStateAsync(nodeId, Node.Types.State.Ready, TimeSpan.FromSeconds(30));
        var engine = (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine;
        Assert.Equal(1, engine.Restarts);
        Assert.NotEqual(pid, engine.Pid);
        var exited = Assert.Single(await _controlPlane.EventsAsync(nodeId), e => e.Kind == "ENGINE_EXITED");
        Assert.Equal("137", exited.Detail["exit_code"]);
    }

    [Fact]
    public async Task A_crash_loop_fails_the_node_with_the_last_log_lines_visible_through_GetNode()
    {
        var engine = AgentProcess.MockEngine(LogFile());
        // An engine that dies at start, as vLLM does when the model does not fit.
        engine["Executable"] = "/bin/sh";
        engine["ExecutablePrefixArgs"] = new[] { "-c", "echo 'loading weights'; echo 'torch.OutOfMemoryError: CUDA out of memory (fake)' >&2; exit 3", "sh" };
        var (agent, nodeId) = await StartAgentAsync(engine);
        await using var _ = agent;

        await WaitForStateAsync(nodeId, Node.Types.State.Failed, TimeSpan.FromSeconds(30));

        var node = await _controlPlane.GetNodeAsync(nodeId);
        Assert.Contains("crash loop", node.StateReason, StringComparison.Ordinal);
        Assert.Contains(node.EngineLogTail, l => l.Contains("CUDA out of memory (fake)", StringComparison.Ordinal));
        Assert.Equal(EngineStatus.Types.State.Failed, node.Engine.State);
        Assert.Equal(3, node.Engine.LastExitCode);
        var events = await _controlPlane.EventsAsync(nodeId);
        Assert.Equal(3, events.Count(e => e.Kind == "ENGINE_EXITED"));
        Assert.Single(events, e => e.Kind == "ENGINE_CRASH_LOOP");

        // No more restarts until told.
        var restarts = (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.Restarts;
        await Task.Delay(1500);
        Assert.Equal(restarts, (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.Restarts);
    }

    [Fact]
    public async Task After_a_crash_loop_the_operator_restarts_the_engine_through_the_admin_api()
    {
        var engine = AgentProcess.MockEngine(LogFile());
        var fixedFlag = Path.Combine(_dir, "fixed");
        // Fails until the operator fixes the cause (the flag file), then runs the real mock engine with the same arguments.
        engine["Executable"] = "/bin/sh";
        engine["ExecutablePrefixArgs"] = new[] { "-c", $"[ -f {fixedFlag} ] || {{ echo 'bad weights' >&2; exit 4; }}; exec dotnet {RepoPaths.MockEngineDll} \"$@\"", "sh" };
        var (agent, nodeId) = await StartAgentAsync(engine);
        await using var _ = agent;
        await WaitForStateAsync(nodeId, Node.Types.State.Failed, TimeSpan.FromSeconds(30));

        await File.WriteAllTextAsync(fixedFlag, "");
        var response = await _controlPlane.Fleet.RestartNodeEngineAsync(new RestartNodeEngineRequest { Name = "nodes/" + nodeId });

        Assert.StartsWith("cmd-", response.CommandId, StringComparison.Ordinal);
        await WaitForStateAsync(nodeId, Node.Types.State.Ready, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_admin_api_drains_a_node_and_refuses_commands_to_a_node_that_is_not_connected()
    {
        var (agent, nodeId) = await StartAgentAsync(AgentProcess.MockEngine(LogFile()));
        await using var _ = agent;
        await WaitForStateAsync(nodeId, Node.Types.State.Ready, TimeSpan.FromSeconds(30));

        await _controlPlane.Fleet.DrainNodeAsync(new DrainNodeRequest { Name = "nodes/" + nodeId });

        await WaitForStateAsync(nodeId, Node.Types.State.Draining, TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(async () => (await _controlPlane.EventsAsync(nodeId)).Any(e => e.Kind == "ENGINE_DRAINED"), TimeSpan.FromSeconds(10), "drained");

        var offline = NodeLinkTests.NewNodeId();
        await _controlPlane.CreateNodeAsync(offline);
        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await _controlPlane.Fleet.DrainNodeAsync(new DrainNodeRequest { Name = "nodes/" + offline }));
        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, error.StatusCode);
        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await _controlPlane.Fleet.RestartNodeEngineAsync(new RestartNodeEngineRequest { Name = "nodes/no-such-node" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_drain_lets_running_requests_finish_before_the_engine_stops()
    {
        var engineConfig = AgentProcess.MockEngine(LogFile(), new Dictionary<string, string> { ["MOCK_ENGINE_TOKENS_PER_SECOND"] = "20" });
        var port = (int)engineConfig["Port"];
        var (agent, nodeId) = await StartAgentAsync(engineConfig);
        await using var _ = agent;
        await WaitForStateAsync(nodeId, Node.Types.State.Ready, TimeSpan.FromSeconds(30));
        var pid = (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.Pid;

        using var http = new HttpClient();
        var body = """{"model":"test-model","messages":[{"role":"user","content":"hi"}],"max_tokens":60,"stream":true}""";
        var streaming = http.PostAsync($"http://127.0.0.1:{port}/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.RunningRequests == 1, TimeSpan.FromSeconds(5), "the request is running");
        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).Engine.RunningRequests == 1, TimeSpan.FromSeconds(3), "the scraped load reaches the control plane in heartbeats");

        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await agent.Probe.DrainAsync(new DrainRequest()));
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal(1, (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.RunningRequests);
        var drain = await agent.Probe.DrainAsync(new DrainRequest { Deadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(20)) }, agent.NodeTokenHeaders);

        Assert.Equal(0, drain.RequestsCut);
        Assert.True(drain.Took.ToTimeSpan() > TimeSpan.FromSeconds(1), "the drain waited for the request");
        var response = await streaming;
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("data: [DONE]", text.TrimEnd(), StringComparison.Ordinal);
        Assert.False(ProcessAlive(pid), "the engine stopped after the drain");
        await WaitForStateAsync(nodeId, Node.Types.State.Draining, TimeSpan.FromSeconds(5));
        Assert.Contains(await _controlPlane.EventsAsync(nodeId), e => e.Kind == "ENGINE_DRAINED" && e.Detail["requests_cut"] == "0");
    }

    [Fact]
    public async Task A_sigkilled_agent_leaves_no_engine_behind()
    {
        var (agent, nodeId) = await StartAgentAsync(AgentProcess.MockEngine(LogFile()));
        await using var _ = agent;
        await WaitForStateAsync(nodeId, Node.Types.State.Ready, TimeSpan.FromSeconds(30));
        var pid = (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.Pid;
        Assert.True(ProcessAlive(pid));

        agent.Process.Kill();

        await Eventually.TrueAsync(() => !ProcessAlive(pid), TimeSpan.FromSeconds(5), "the engine died with its agent (parent-death signal)");
    }

    [Fact]
    public async Task A_sigterm_stops_the_engine_before_the_agent_exits()
    {
        var (agent, nodeId) = await StartAgentAsync(AgentProcess.MockEngine(LogFile()));
        await using var _ = agent;
        await WaitForStateAsync(nodeId, Node.Types.State.Ready, TimeSpan.FromSeconds(30));
        var pid = (await agent.Probe.ProbeAsync(new ProbeRequest())).Engine.Pid;

        agent.Process.Signal(Signals.SigTerm);

        Assert.True(await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)), agent.Process.Output);
        Assert.Equal(0, agent.Process.ExitCode);
        Assert.False(ProcessAlive(pid));
        Assert.Contains(await _controlPlane.EventsAsync(nodeId), e => e.Kind == "ENGINE_DRAINED");
    }

    private async Task<(AgentProcess Agent, string NodeId)> StartAgentAsync(Dictionary<string, object> engine, IReadOnlyDictionary<string, string>? environment = null)
    {
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        var probePort = FreePort.Next();
        var config = AgentProcess.Config(nodeId, _controlPlane.GrpcUrl, token, probePort);
        config["Engine"] = engine;
        return (AgentProcess.StartWithConfig(config, nodeId, probePort, environment), nodeId);
    }

    private Task WaitForStateAsync(string nodeId, Node.Types.State state, TimeSpan timeout) =>
        Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).State == state, timeout, $"node {nodeId} {state}", pollMs: 50);

    private string LogFile() => Path.Combine(_dir, "engine.log");

    internal static bool ProcessAlive(int pid) => pid > 0 && File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
}
