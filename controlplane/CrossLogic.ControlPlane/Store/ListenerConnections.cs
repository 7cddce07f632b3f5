using Npgsql;

namespace CrossLogic.ControlPlane.Store;

/// <summary>A replica's LISTEN connections (routes, relayed commands): their settings, and the loop that keeps one up.</summary>
internal static class ListenerConnections
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Unpooled: LISTEN belongs to the session. Short timeouts and TCP keepalives, so that a lost database is noticed
    /// in seconds rather than at the next query that happens to time out.
    /// </summary>
    public static string For(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString)
    {
        Pooling = false,
        Timeout = 3,
        CommandTimeout = 5,
        KeepAlive = 5,
    }.ConnectionString;

    /// <summary>
    /// Runs <paramref name="listen"/> until the host stops, again a second after each failure. It calls the action it is
    /// given once it listens. The first failure of an outage is reported to <paramref name="lost"/>, the recovery after
    /// it to <paramref name="regained"/>; <paramref name="afterFailure"/> runs after every failed attempt.
    /// </summary>
    public static async Task KeepListeningAsync(
        Func<Action, CancellationToken, Task> listen, Action<Exception> lost, Action regained, Action afterFailure, TimeProvider time, CancellationToken stoppingToken)
    {
        var outage = new OutageReport(lost, regained);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await listen(outage.Succeeded, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                outage.Failed(ex);
            }

            afterFailure();
            await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
        }
    }
}
