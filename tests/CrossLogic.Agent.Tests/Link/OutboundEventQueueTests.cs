using CrossLogic.Agent.Link;
using CrossLogic.Contracts.V1;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.Agent.Tests.Link;

public sealed class OutboundEventQueueTests
{
    private static readonly NodeEvent.Types.Kind Kind = NodeEvent.Types.Kind.LinkLost;

    [Fact]
    public void Events_stay_until_acknowledged_and_are_resent_on_a_new_stream()
    {
        var queue = new OutboundEventQueue(16, new FakeTimeProvider());
        queue.TryEnqueue(Kind, "a");
        queue.TryEnqueue(Kind, "b");
        queue.TryEnqueue(Kind, "c");

        Assert.Equal(["a", "b", "c"], queue.TakeUnsent().Select(e => e.Message));
        Assert.Empty(queue.TakeUnsent());

        queue.Acknowledge(2);
        Assert.Equal(1, queue.Count);

        queue.ResendAll();
        var resent = Assert.Single(queue.TakeUnsent());
        Assert.Equal("c", resent.Message);
        Assert.Equal(3ul, resent.Sequence);
    }

    [Fact]
    public void A_full_queue_drops_new_events_and_reports_how_many_before_anything_newer()
    {
        var queue = new OutboundEventQueue(16, new FakeTimeProvider());
        for (var i = 0; i < 20; i++)
        {
            queue.TryEnqueue(Kind, $"e{i}");
        }

        Assert.Equal(4, queue.DroppedTotal);
        var sent = queue.TakeUnsent();
        Assert.Equal(17, sent.Count);
        Assert.Equal(["e0", "e15"], new[] { sent[0].Message, sent[15].Message });
        var report = sent[^1];
        Assert.Equal(NodeEvent.Types.Kind.EventsDropped, report.Kind);
        Assert.Equal("4", report.Detail["dropped"]);
        Assert.True(report.Sequence > sent[15].Sequence);

        // The report is reported once.
        queue.Acknowledge(report.Sequence);
        Assert.Empty(queue.TakeUnsent());
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Sequences_increase_and_carry_the_time_of_the_event()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var queue = new OutboundEventQueue(16, time);
        queue.TryEnqueue(Kind, "a");
        time.Advance(TimeSpan.FromSeconds(5));
        queue.TryEnqueue(Kind, "b");

        var events = queue.TakeUnsent();
        Assert.Equal([1ul, 2ul], events.Select(e => e.Sequence));
        Assert.Equal(TimeSpan.FromSeconds(5), events[1].Time.ToDateTimeOffset() - events[0].Time.ToDateTimeOffset());
        Assert.Equal(2ul, queue.HighestPending);
    }
}
