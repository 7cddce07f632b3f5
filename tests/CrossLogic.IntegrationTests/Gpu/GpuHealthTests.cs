using CrossLogic.Contracts.V1;
using CrossLogic.IntegrationTests.Link;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Gpu;

/// <summary>NVML through the agent's real P/Invoke path, against a fake libnvidia-ml.so.1 built from C by the test build.</summary>
[Collection(PostgresCollection.Name)]
public sealed class GpuHealthTests(PostgresFixture db) : IAsyncLifetime
{
    private ControlPlaneProcess _controlPlane = null!;

    public async Task InitializeAsync() => _controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);

    public async Task DisposeAsync() => await _controlPlane.DisposeAsync();

    [Fact]
    public async Task Inventory_and_samples_reach_the_control_plane_and_a_fatal_xid_fails_the_node()
    {
        using var nvml = new FakeNvml(FakeNvml.Gpu(0), FakeNvml.Gpu(1, "util=95 temp=70"));
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token, nvml.Environment);

        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).GpuSamples.Count == 2, TimeSpan.FromSeconds(10), "GPU samples in heartbeats");
        var node = await _controlPlane.GetNodeAsync(nodeId);
        Assert.Equal(["GPU-0-fake", "GPU-1-fake"], node.Gpus.Select(g => g.Uuid));
        Assert.Equal("NVIDIA H100 80GB HBM3", node.Gpus[0].Name);
        Assert.Equal(85899345920, node.Gpus[0].MemoryTotalBytes);
        var gpu1 = node.GpuSamples.Single(s => s.Index == 1);
        Assert.Equal(95, gpu1.UtilizationPercent);
        Assert.Equal(70, gpu1.TemperatureCelsius);
        Assert.Equal(300000, gpu1.PowerMilliwatts);
        Assert.Equal(GpuHealth.Types.State.Healthy, gpu1.Health.State);

        nvml.Append("xid 1 79");

        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).State == Node.Types.State.Failed, TimeSpan.FromSeconds(10), "fatal XID fails the node");
        node = await _controlPlane.GetNodeAsync(nodeId);
        Assert.Contains("XID 79", node.StateReason, StringComparison.Ordinal);
        var xid = Assert.Single(await _controlPlane.EventsAsync(nodeId), e => e.Kind == "GPU_XID");
        Assert.Equal(("1", "79", "true"), (xid.Detail["gpu"], xid.Detail["xid"], xid.Detail["fatal"]));
    }

    [Fact]
    public async Task Throttling_degrades_and_an_uncorrectable_ecc_error_fails()
    {
        using var nvml = new FakeNvml(FakeNvml.Gpu(0));
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token, nvml.Environment);
        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).GpuSamples.Count == 1, TimeSpan.FromSeconds(10), "sampled");

        nvml.Write(FakeNvml.Gpu(0, "reasons=0x40 temp=91"));
        await Eventually.TrueAsync(async () => (await agent.Probe.ProbeAsync(new ProbeRequest())).GpuSamples[0].Health.State == GpuHealth.Types.State.Degraded, TimeSpan.FromSeconds(5), "thermal slowdown degrades");

        nvml.Write(FakeNvml.Gpu(0, "ecc=2"));
        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).State == Node.Types.State.Failed, TimeSpan.FromSeconds(10), "uncorrectable ECC fails the node");
        Assert.Contains("2 uncorrectable ECC errors", (await _controlPlane.GetNodeAsync(nodeId)).StateReason, StringComparison.Ordinal);
        var events = await _controlPlane.EventsAsync(nodeId);
        Assert.Contains(events, e => e.Kind == "GPU_HEALTH_CHANGED" && e.Detail["state"] == "Degraded");
        Assert.Contains(events, e => e.Kind == "GPU_HEALTH_CHANGED" && e.Detail["state"] == "Failed");
    }

    [Fact]
    public async Task The_gpus_command_prints_a_table_and_exits_non_zero_when_a_gpu_is_unhealthy()
    {
        using var nvml = new FakeNvml(FakeNvml.Gpu(0), FakeNvml.Gpu(1, "ecc=1"));
        await using var unhealthy = ChildProcess.Start(RepoPaths.AgentBinary, ["gpus"], nvml.Environment);
        Assert.True(await unhealthy.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, unhealthy.ExitCode);
        Assert.Contains("NVIDIA H100 80GB HBM3", unhealthy.Output, StringComparison.Ordinal);
        Assert.Contains("Failed (1 uncorrectable ECC errors)", unhealthy.Output, StringComparison.Ordinal);

        nvml.Write(FakeNvml.Gpu(0));
        await using var healthy = ChildProcess.Start(RepoPaths.AgentBinary, ["gpus"], nvml.Environment);
        Assert.True(await healthy.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, healthy.ExitCode);
    }

    [Fact]
    public async Task Without_nvml_the_agent_reports_zero_gpus_and_keeps_running()
    {
        await using var none = ChildProcess.Start(RepoPaths.AgentBinary, ["gpus"]);
        Assert.True(await none.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, none.ExitCode);
        Assert.Contains("No NVIDIA GPUs", none.Output, StringComparison.Ordinal);

        using var broken = new FakeNvml("init_fail 9");
        var nodeId = NodeLinkTests.NewNodeId();
        var token = await _controlPlane.CreateNodeAsync(nodeId);
        await using var agent = AgentProcess.Start(nodeId, _controlPlane.GrpcUrl, token, broken.Environment);
        await Eventually.TrueAsync(async () => (await _controlPlane.GetNodeAsync(nodeId)).LastHeartbeatSequence >= 2, TimeSpan.FromSeconds(10), "heartbeats without GPUs");
        Assert.Empty((await _controlPlane.GetNodeAsync(nodeId)).Gpus);
        Assert.False(agent.Process.HasExited);
    }
}
