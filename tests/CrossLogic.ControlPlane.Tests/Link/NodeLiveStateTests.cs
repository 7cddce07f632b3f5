using CrossLogic.ControlPlane.Link;

namespace CrossLogic.ControlPlane.Tests.Link;

public sealed class NodeLiveStateTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Only_advancing_sequences_are_accepted()
    {
        var state = new NodeLiveState("n", 1, T0);
        Assert.True(state.Beat(1, T0.AddSeconds(1), null));
        Assert.False(state.Beat(1, T0.AddSeconds(2), null));
        Assert.True(state.Beat(5, T0.AddSeconds(3), null));
        Assert.Equal(5ul, state.Snapshot().Sequence);
        Assert.Equal(T0.AddSeconds(3), state.Snapshot().LastSeen);
    }

    [Fact]
    public void Many_beats_between_flushes_make_one_row()
    {
        var state = new NodeLiveState("n", 7, T0);
        for (ulong i = 1; i <= 10; i++)
        {
            state.Beat(i, T0.AddSeconds(i), null);
        }

        var row = state.TakeDirty();
        Assert.Equal(new ControlPlane.Store.HeartbeatRow("n", 7, T0.AddSeconds(10), 10), row);
        Assert.Null(state.TakeDirty());

        state.MarkDirty();
        Assert.NotNull(state.TakeDirty());
    }

    [Fact]
    public void A_probe_vouches_for_a_node_only_when_it_was_sent_after_the_stream_went_quiet()
    {
        var ready = new Contracts.V1.EngineStatus { State = Contracts.V1.EngineStatus.Types.State.Ready };
        var state = Serving(ready);
        var every = TimeSpan.FromSeconds(1);

        // A scheduled probe sent while the stream beat, answered after the agent died: proves nothing.
        Assert.True(state.TryStartProbe(T0.AddSeconds(2), every, every));
        state.Disconnected(T0.AddSeconds(2.1));
        state.Probed(T0.AddSeconds(2.2), ok: true, ready);
        Assert.False(state.Route().Routable);

        // A probe sent once the stream was down, answered: the node serves though its link is broken.
        Assert.True(state.TryStartProbe(T0.AddSeconds(3.5), every, every));
        state.Probed(T0.AddSeconds(3.6), ok: true, ready);
        Assert.True(state.Route().Routable);

        // The next one fails: out again; fenced: never again.
        Assert.True(state.TryStartProbe(T0.AddSeconds(4.7), every, every));
        state.Probed(T0.AddSeconds(4.8), ok: false, null);
        Assert.False(state.Route().Routable);
        state.Fence();
        Assert.False(state.TryStartProbe(T0.AddSeconds(9), every, every));
        Assert.False(state.Route().Routable);
    }

    [Fact]
    public void Silence_takes_a_beating_node_out_and_the_next_beat_brings_it_back()
    {
        var ready = new Contracts.V1.EngineStatus { State = Contracts.V1.EngineStatus.Types.State.Ready };
        var state = Serving(ready);
        Assert.True(state.Phi(T0.AddSeconds(2.1)) < 8);
        Assert.True(state.Phi(T0.AddSeconds(4)) >= 8);
        Assert.True(state.MarkSilent());
        Assert.False(state.MarkSilent());
        Assert.False(state.Route().Routable);

        Assert.True(state.Beat(3, T0.AddSeconds(4.1), ready));
        Assert.True(state.Route().Routable);
    }

    private static NodeLiveState Serving(Contracts.V1.EngineStatus engine)
    {
        var state = new NodeLiveState("n", 1, T0, Contracts.V1.Node.Types.State.Ready) { Model = "m", EngineEndpoint = "http://127.0.0.1:1" };
        state.Beat(1, T0.AddSeconds(0.5), engine);
        state.Beat(2, T0.AddSeconds(1.5), engine);
        return state;
    }

    [Fact]
    public void The_registry_keeps_the_newest_epoch()
    {
        var registry = new LiveNodeRegistry();
        var old = new NodeLiveState("n", 1, T0);
        var current = new NodeLiveState("n", 2, T0);
        registry.Attached(current);
        registry.Attached(old);

        Assert.True(registry.IsCurrent(current));
        Assert.False(registry.IsCurrent(old));
        Assert.Equal(2, registry.Find("n")!.LeaseEpoch);
    }
}
