using CrossLogic.Agent.Link;

namespace CrossLogic.Agent.Tests.Link;

public sealed class ReconnectBackoffTests
{
    [Fact]
    public void Delays_grow_exponentially_stay_within_the_cap_and_are_jittered()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), new Random(42));
        var delays = Enumerable.Range(0, 30).Select(_ => backoff.Next()).ToList();

        Assert.All(delays, d => Assert.InRange(d.TotalMilliseconds, 100, 5000));
        Assert.InRange(delays[0].TotalMilliseconds, 100, 100.0001);
        Assert.InRange(delays[3].TotalMilliseconds, 100, 800);
        Assert.True(delays.Skip(10).Distinct().Count() > 15, "jitter spreads a fleet's redials");
        Assert.True(delays.Skip(10).Max() > TimeSpan.FromSeconds(3), "late attempts approach the cap");
    }

    [Fact]
    public void Reset_after_a_welcome_starts_again_from_the_minimum()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), new Random(1));
        for (var i = 0; i < 10; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.Equal(0, backoff.Attempt);
        Assert.InRange(backoff.Next().TotalMilliseconds, 100, 100.0001);
    }
}
