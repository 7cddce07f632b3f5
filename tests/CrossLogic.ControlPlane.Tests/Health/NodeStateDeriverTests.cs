using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Health;

namespace CrossLogic.ControlPlane.Tests.Health;

public sealed class NodeStateDeriverTests
{
    private static EngineStatus Engine(EngineStatus.Types.State state, string reason = "") => new() { State = state, Reason = reason };

    private static GpuSample Gpu(GpuHealth.Types.State state, params string[] reasons)
    {
        var sample = new GpuSample { Index = 0, Health = new GpuHealth { State = state } };
        sample.Health.Reasons.AddRange(reasons);
        return sample;
    }

    [Theory]
    [InlineData(Node.Types.State.Starting, EngineStatus.Types.State.Loading, Node.Types.State.Starting)]
    [InlineData(Node.Types.State.Starting, EngineStatus.Types.State.Ready, Node.Types.State.Ready)]
    [InlineData(Node.Types.State.Ready, EngineStatus.Types.State.Restarting, Node.Types.State.Degraded)]
    [InlineData(Node.Types.State.Degraded, EngineStatus.Types.State.Loading, Node.Types.State.Degraded)]
    [InlineData(Node.Types.State.Degraded, EngineStatus.Types.State.Ready, Node.Types.State.Ready)]
    [InlineData(Node.Types.State.Ready, EngineStatus.Types.State.Failed, Node.Types.State.Failed)]
    [InlineData(Node.Types.State.Ready, EngineStatus.Types.State.Draining, Node.Types.State.Draining)]
    [InlineData(Node.Types.State.Terminated, EngineStatus.Types.State.Ready, Node.Types.State.Terminated)]
    [InlineData(Node.Types.State.Starting, EngineStatus.Types.State.Staging, Node.Types.State.Staging)]
    [InlineData(Node.Types.State.Ready, EngineStatus.Types.State.Staging, Node.Types.State.Degraded)]
    [InlineData(Node.Types.State.Unreachable, EngineStatus.Types.State.Ready, Node.Types.State.Ready)]
    [InlineData(Node.Types.State.Unreachable, EngineStatus.Types.State.Loading, Node.Types.State.Degraded)]
    public void The_engine_state_drives_the_node_state(Node.Types.State current, EngineStatus.Types.State engine, Node.Types.State expected) =>
        Assert.Equal(expected, NodeStateDeriver.Derive(current, Engine(engine), []).State);

    [Fact]
    public void A_failed_gpu_fails_the_node_whatever_the_engine_says()
    {
        var (state, reason) = NodeStateDeriver.Derive(Node.Types.State.Ready, Engine(EngineStatus.Types.State.Ready), [Gpu(GpuHealth.Types.State.Failed, "XID 79: GPU has fallen off the bus")]);
        Assert.Equal(Node.Types.State.Failed, state);
        Assert.Contains("XID 79", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_throttled_gpu_degrades_a_ready_node()
    {
        var (state, reason) = NodeStateDeriver.Derive(Node.Types.State.Ready, Engine(EngineStatus.Types.State.Ready), [Gpu(GpuHealth.Types.State.Degraded, "hardware thermal slowdown")]);
        Assert.Equal(Node.Types.State.Degraded, state);
        Assert.Contains("thermal", reason, StringComparison.Ordinal);
    }
}
