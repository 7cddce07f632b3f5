using CrossLogic.ControlPlane.Health;

namespace CrossLogic.ControlPlane.Tests.Health;

public sealed class PhiAccrualDetectorTests
{
    private static readonly DateTime Start = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_regular_sender_is_not_suspected_at_its_rhythm_and_is_after_a_few_missed_beats()
    {
        var detector = Regular(TimeSpan.FromSeconds(1), beats: 30, out var last);

        Assert.True(detector.Phi(last + TimeSpan.FromMilliseconds(1_000)) < 1, "on time");
        Assert.True(detector.Phi(last + TimeSpan.FromMilliseconds(1_400)) < 3, "a little late");
        Assert.True(detector.Phi(last + TimeSpan.FromMilliseconds(2_600)) >= 8, "more than two beats missed");
        // The floor of the deviation keeps a perfectly regular sender from being suspected after milliseconds of jitter.
        var silence = detector.SilenceUntil(8);
        Assert.InRange(silence.TotalMilliseconds, 2_000, 2_700);
    }

    [Fact]
    public void A_jittery_sender_earns_more_patience()
    {
        var detector = new PhiAccrualDetector(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250), Start);
        var now = Start;
        var random = new Random(7);
        for (var i = 0; i < 60; i++)
        {
            now += TimeSpan.FromMilliseconds(random.Next(200, 2_600));
            detector.Arrived(now, regular: true);
        }

        var steady = Regular(TimeSpan.FromSeconds(1), beats: 60, out _);
        Assert.True(detector.SilenceUntil(8) > steady.SilenceUntil(8) + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Extra_beats_prove_liveness_without_teaching_a_faster_rhythm()
    {
        var detector = Regular(TimeSpan.FromSeconds(1), beats: 20, out var last);
        var before = detector.SilenceUntil(8);
        for (var i = 1; i <= 10; i++)
        {
            detector.Arrived(last + TimeSpan.FromMilliseconds(i * 20), regular: false);
        }

        Assert.Equal(last + TimeSpan.FromMilliseconds(200), detector.LastArrival);
        Assert.Equal(before, detector.SilenceUntil(8));
        Assert.Equal(0, detector.Phi(last + TimeSpan.FromMilliseconds(100)));
    }

    private static PhiAccrualDetector Regular(TimeSpan interval, int beats, out DateTime last)
    {
        var detector = new PhiAccrualDetector(interval, TimeSpan.FromMilliseconds(250), Start);
        last = Start;
        for (var i = 0; i < beats; i++)
        {
            last += interval;
            detector.Arrived(last, regular: true);
        }

        return detector;
    }
}
