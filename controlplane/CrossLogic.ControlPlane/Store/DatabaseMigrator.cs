using DbUp;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrossLogic.ControlPlane.Store;

/// <summary>
/// Waits for PostgreSQL (retrying with a clear log line instead of crash-looping) and applies the embedded SQL migrations
/// before anything else starts.
/// </summary>
internal sealed class DatabaseMigrator(NpgsqlDataSource dataSource, IOptions<StoreOptions> options, TimeProvider timeProvider, ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        var delay = TimeSpan.FromMilliseconds(250);
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                StoreLog.DatabaseUnreachable(logger, builder.Host ?? "?", builder.Port, builder.Database ?? "?", ex.Message, delay.TotalSeconds, attempt);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, options.Value.MaxConnectRetryDelayMs));
            }
        }

        var upgrader = DeployChanges.To
            .PostgresqlDatabase(dataSource.ConnectionString)
            .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, name => name.EndsWith(".sql", StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build();
        var result = upgrader.PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"database migration {result.ErrorScript?.Name} failed: {result.Error.Message}", result.Error);
        }

        StoreLog.Migrated(logger, result.Scripts.Count(), builder.Database ?? "?");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
