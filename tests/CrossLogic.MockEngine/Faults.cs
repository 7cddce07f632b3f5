namespace CrossLogic.MockEngine;

/// <summary>Applies the injected faults of <see cref="MockBehaviour"/> to inference requests and to /health.</summary>
internal sealed class Faults(MockBehaviour behaviour, TimeProvider time)
{
    private long _received;
    private long _failTickets;
    private long _servingSince;

    /// <summary>The engine counts as up from here; MOCK_ENGINE_UNHEALTHY_AFTER_MS runs from this moment.</summary>
    public void MarkServing() => Interlocked.Exchange(ref _servingSince, time.GetTimestamp());

    /// <summary>The engine has "died" inside the live process: /health fails and so does inference.</summary>
    public bool EngineDead
    {
        get
        {
            var since = Interlocked.Read(ref _servingSince);
            return behaviour.UnhealthyAfter > TimeSpan.Zero && since != 0 && time.GetElapsedTime(since) >= behaviour.UnhealthyAfter;
        }
    }

    /// <summary>Counts an inference request; the one that reaches MOCK_ENGINE_CRASH_AFTER_REQUESTS takes the process down with it.</summary>
    public void Received()
    {
        var count = Interlocked.Increment(ref _received);
        if (behaviour.CrashAfterRequests > 0 && count >= behaviour.CrashAfterRequests)
        {
            Console.Error.WriteLine($"mock engine crashing after {count} requests (MOCK_ENGINE_CRASH_AFTER_REQUESTS={behaviour.CrashAfterRequests})");
            Console.Out.Flush();
            Environment.Exit(1);
        }
    }

    /// <summary>Deterministic rather than random, so a test knows which request fails: with rate r, request k fails when floor(k·r) steps up.</summary>
    public bool ShouldFail()
    {
        if (behaviour.FailRate <= 0)
        {
            return false;
        }

        var ticket = Interlocked.Increment(ref _failTickets);
        return Math.Floor(ticket * behaviour.FailRate) > Math.Floor((ticket - 1) * behaviour.FailRate);
    }

    /// <summary>With MOCK_ENGINE_HANG the request waits until the client gives up.</summary>
    public Task HangIfConfiguredAsync(CancellationToken aborted) =>
        behaviour.Hang ? Task.Delay(Timeout.Infinite, aborted) : Task.CompletedTask;
}
