using CrossLogic.ControlPlane.Gateway;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.ControlPlane.Tests.Gateway;

public sealed class RequestIdsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Request_ids_are_unique_and_ordered_by_time()
    {
        var earlier = RequestIds.New(_time);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var later = Enumerable.Range(0, 10_000).Select(_ => RequestIds.New(_time)).ToList();

        Assert.Matches("^req-[0-9a-f]{28}$", earlier);
        Assert.All(later, id => Assert.True(string.CompareOrdinal(earlier, id) < 0, $"{earlier} sorts before {id}"));
        Assert.Equal(later.Count, later.Distinct(StringComparer.Ordinal).Count());
        Assert.StartsWith("req-" + _time.GetUtcNow().ToUnixTimeMilliseconds().ToString("x12"), later[0], StringComparison.Ordinal);
    }
}
