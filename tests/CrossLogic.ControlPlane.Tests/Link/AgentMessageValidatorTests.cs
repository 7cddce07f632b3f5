using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Link;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.ControlPlane.Tests.Link;

public sealed class AgentMessageValidatorTests
{
    private static Hello Valid() => new()
    {
        NodeId = "node-1",
        AgentVersion = "1.0.0",
        BootId = "b",
        Host = new HostFacts { CpuCount = 8, MemoryBytes = 1L << 34 },
        AgentStartTime = Timestamp.FromDateTime(DateTime.UtcNow),
    };

    [Fact]
    public void A_sound_hello_passes() => Assert.Null(AgentMessageValidator.ValidateHello(Valid()));

    [Theory]
    [InlineData("")]
    [InlineData("UPPER")]
    [InlineData("-leading-dash")]
    [InlineData("has space")]
    [InlineData("a-very-long-node-id-that-goes-on-and-on-beyond-the-dns-label-limit-x")]
    public void Node_ids_that_are_not_dns_labels_are_refused(string nodeId)
    {
        var hello = Valid();
        hello.NodeId = nodeId;
        Assert.NotNull(AgentMessageValidator.ValidateHello(hello));
    }

    [Fact]
    public void Absurd_host_facts_are_refused()
    {
        var hello = Valid();
        hello.Host.MemoryBytes = -1;
        Assert.Contains("host", AgentMessageValidator.ValidateHello(hello), StringComparison.Ordinal);
    }

    [Fact]
    public void Heartbeats_with_absurd_engine_load_are_refused()
    {
        Assert.NotNull(AgentMessageValidator.ValidateHeartbeat(new Heartbeat { Sequence = 0 }));
        Assert.NotNull(AgentMessageValidator.ValidateHeartbeat(new Heartbeat { Sequence = 1, Engine = new EngineStatus { KvCacheUsage = 1.5 } }));
        Assert.NotNull(AgentMessageValidator.ValidateHeartbeat(new Heartbeat { Sequence = 1, Engine = new EngineStatus { RunningRequests = -3 } }));
        Assert.NotNull(AgentMessageValidator.ValidateHeartbeat(new Heartbeat { Sequence = 1, Engine = new EngineStatus { KvCacheUsage = double.NaN } }));
        Assert.Null(AgentMessageValidator.ValidateHeartbeat(new Heartbeat { Sequence = 1, Engine = new EngineStatus { KvCacheUsage = 0.5, RunningRequests = 3 } }));
    }

    [Fact]
    public void Events_need_a_known_kind_a_time_and_a_bounded_size()
    {
        var good = new NodeEvent { Sequence = 1, Kind = NodeEvent.Types.Kind.LinkLost, Time = Timestamp.FromDateTime(DateTime.UtcNow) };
        Assert.Null(AgentMessageValidator.ValidateEvent(good));
        Assert.NotNull(AgentMessageValidator.ValidateEvent(new NodeEvent(good) { Kind = (NodeEvent.Types.Kind)999 }));
        Assert.NotNull(AgentMessageValidator.ValidateEvent(new NodeEvent(good) { Time = null }));
        Assert.NotNull(AgentMessageValidator.ValidateEvent(new NodeEvent(good) { Message = new string('x', 5000) }));
    }
}
