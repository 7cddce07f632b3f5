using CrossLogic.Agent.Hosting;

namespace CrossLogic.Agent.Tests.Hosting;

public sealed class SystemdWatchdogTests
{
    [Theory]
    [InlineData("30000000", null, 10_000)]
    [InlineData("30000000", "42", 10_000)]
    [InlineData("300000", "", 100)]
    public void The_ping_interval_is_a_third_of_what_systemd_asks(string usec, string? pid, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), SystemdWatchdog.Interval(usec, pid, 42));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("abc", null)]
    [InlineData("30000000", "7")]
    public void No_watchdog_unless_systemd_asked_this_process(string? usec, string? pid) =>
        Assert.Null(SystemdWatchdog.Interval(usec, pid, 42));
}
