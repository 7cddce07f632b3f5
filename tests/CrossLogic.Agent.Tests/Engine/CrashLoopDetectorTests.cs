using CrossLogic.Agent.Engine;

namespace CrossLogic.Agent.Tests.Engine;

public sealed class CrashLoopDetectorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Five_exits_in_ten_minutes_is_a_crash_loop_but_spread_out_exits_are_not()
    {
        var detector = new CrashLoopDetector(5, TimeSpan.FromMinutes(10));
        for (var i = 0; i < 4; i++)
        {
            Assert.False(detector.RecordExit(T0.AddMinutes(i * 4)));
        }

        // The first exit (at 0) has left the window by minute 16.
        Assert.False(detector.RecordExit(T0.AddMinutes(16)));
    }

    [Fact]
    public void The_fifth_exit_within_the_window_is_the_crash_loop()
    {
        var detector = new CrashLoopDetector(5, TimeSpan.FromMinutes(10));
        var verdicts = new List<bool>();
        for (var i = 0; i < 5; i++)
        {
            verdicts.Add(detector.RecordExit(T0.AddSeconds(i)));
        }

        Assert.Equal([false, false, false, false, true], verdicts);
        detector.Reset();
        Assert.False(detector.RecordExit(T0.AddSeconds(6)));
    }
}
