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
