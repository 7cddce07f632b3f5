using System.Diagnostics;

namespace CrossLogic.Testing;

/// <summary>Polls a condition until it holds or a deadline passes; tests never sleep a fixed time.</summary>
public static class Eventually
{
    public static async Task<TimeSpan> TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string because, int pollMs = 10)
    {
        var watch = Stopwatch.StartNew();
        Exception? last = null;
        while (watch.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return watch.Elapsed;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                last = ex;
            }

            await Task.Delay(pollMs);
        }

        throw new TimeoutException($"Not within {timeout.TotalMilliseconds:0} ms: {because}" + (last is null ? "" : $" (last error: {last.Message})"));
    }

    public static Task<TimeSpan> TrueAsync(Func<bool> condition, TimeSpan timeout, string because, int pollMs = 10) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, because, pollMs);
}
