using CrossLogic.ControlPlane.Gateway.Forwarding;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.ControlPlane.Tests.Gateway;

public sealed class IdleDeadlinesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_quiet_exchange_is_cancelled_within_a_quarter_timeout_of_its_deadline_and_one_that_was_touched_is_not()
    {
        var time = new FakeTimeProvider();
        using var deadlines = new IdleDeadlines(Timeout, time);
        using var quiet = deadlines.Start(CancellationToken.None);
        using var active = deadlines.Start(CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(6));
        active.Touch();
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(quiet.Token.IsCancellationRequested);

        time.Advance(TimeSpan.FromSeconds(2.5));

        Assert.True(quiet.Token.IsCancellationRequested);
        Assert.False(active.Token.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(active.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task The_linked_token_cancels_the_exchange()
    {
        using var deadlines = new IdleDeadlines(Timeout, new FakeTimeProvider());
        using var clientGone = new CancellationTokenSource();
        using var watch = deadlines.Start(clientGone.Token);

        await clientGone.CancelAsync();

        Assert.True(watch.Token.IsCancellationRequested);
    }

    [Fact]
    public void An_exchange_that_ended_is_no_longer_watched()
    {
        var time = new FakeTimeProvider();
        using var deadlines = new IdleDeadlines(Timeout, time);
        var watch = deadlines.Start(CancellationToken.None);
        var token = watch.Token;

        watch.Dispose();
        time.Advance(TimeSpan.FromMinutes(1));

        Assert.False(token.IsCancellationRequested);
    }
}
