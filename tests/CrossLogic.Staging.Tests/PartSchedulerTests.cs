using CrossLogic.Agent.Staging;

namespace CrossLogic.Staging.Tests;

public sealed class PartSchedulerTests
{
    [Fact]
    public async Task A_freed_slot_goes_to_the_file_with_the_fewest_GETs_in_flight()
    {
        var scheduler = new PartScheduler(2);
        object a = "a", b = "b";
        var a1 = await scheduler.AcquireAsync(a, CancellationToken.None);
        var a2 = await scheduler.AcquireAsync(a, CancellationToken.None);
        var a3 = scheduler.AcquireAsync(a, CancellationToken.None).AsTask();
        var b1 = scheduler.AcquireAsync(b, CancellationToken.None).AsTask();

        a1.Dispose();

        // A still has one in flight, B none: B goes first although A asked first.
        (await b1.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.False(a3.IsCompleted);
        a2.Dispose();
        (await a3.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public async Task A_cancelled_wait_takes_no_slot()
    {
        var scheduler = new PartScheduler(1);
        var held = await scheduler.AcquireAsync("a", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = scheduler.AcquireAsync("b", cancel.Token).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();

        using var again = await scheduler.AcquireAsync("c", CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }
}
