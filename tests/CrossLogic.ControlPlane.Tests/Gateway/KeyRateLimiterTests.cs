using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Gateway.RateLimits;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.ControlPlane.Tests.Gateway;

/// <summary>A key's buckets on one replica, counting what it admits and charged with what other replicas did.</summary>
public sealed class KeyRateLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void What_it_admits_and_charges_is_counted_and_only_for_limited_keys()
    {
        var limiter = new KeyRateLimiter(_time);
        var limited = Key("k1", requestsPerMinute: 10, tokensPerMinute: 1000);

        Assert.Null(limiter.Admit(limited));
        Assert.Null(limiter.Admit(limited));
        limiter.Charge(limited, 120);
        Assert.Null(limiter.Admit(Key("free", 0, 0)));

        Assert.Equal([new KeyConsumption("k1", 2, 120)], limiter.Consumption());
    }

    [Fact]
    public void Use_charged_from_other_replicas_empties_the_same_bucket()
    {
        var limiter = new KeyRateLimiter(_time);
        var key = Key("k1", requestsPerMinute: 10, tokensPerMinute: 0);
        Assert.Null(limiter.Admit(key));

        limiter.ChargeElsewhere("k1", requests: 9, tokens: 0);

        var limited = limiter.Admit(key);
        Assert.NotNull(limited);
        Assert.Equal(429, limited.Status);
        // Elsewhere's use is not counted as this replica's (the others count their own).
        Assert.Equal([new KeyConsumption("k1", 1, 0)], limiter.Consumption());

        _time.Advance(TimeSpan.FromSeconds(6)); // one request's worth of refill at 10 a minute
        Assert.Null(limiter.Admit(key));
    }

    [Fact]
    public void Tokens_used_elsewhere_put_the_token_budget_in_debt()
    {
        var limiter = new KeyRateLimiter(_time);
        var key = Key("k1", requestsPerMinute: 0, tokensPerMinute: 600);
        Assert.Null(limiter.Admit(key));

        limiter.ChargeElsewhere("k1", requests: 0, tokens: 700);

        Assert.NotNull(limiter.Admit(key));
        _time.Advance(TimeSpan.FromSeconds(11)); // 10 tokens a second: out of debt after 10 s and a bit
        Assert.Null(limiter.Admit(key));
    }

    [Fact]
    public void Use_elsewhere_is_charged_up_to_one_minutes_budget_so_a_long_gap_in_the_exchange_blocks_a_minute_at_most()
    {
        var limiter = new KeyRateLimiter(_time);
        var key = Key("k1", requestsPerMinute: 60, tokensPerMinute: 0);
        Assert.Null(limiter.Admit(key));

        // Ten minutes of the others' full use, learnt in one exchange.
        limiter.ChargeElsewhere("k1", requests: 600, tokens: 0);

        Assert.NotNull(limiter.Admit(key));
        _time.Advance(TimeSpan.FromSeconds(2)); // two refilled, one owed from the first request
        Assert.Null(limiter.Admit(key));
    }

    private static ApiKeyRecord Key(string id, int requestsPerMinute, long tokensPerMinute) => new()
    {
        KeyId = id,
        Tenant = "t",
        KeyHash = [1],
        RequestsPerMinute = requestsPerMinute,
        TokensPerMinute = tokensPerMinute,
    };
}
