namespace CrossLogic.ControlPlane.Store;

/// <summary>Store log messages, event ids 5000-5099.</summary>
internal static partial class StoreLog
{
    [LoggerMessage(5000, LogLevel.Warning, "PostgreSQL at {Host}:{Port} (database {Database}) unreachable: {Error}; retrying in {DelaySeconds:0.##} s (attempt {Attempt})")]
    public static partial void DatabaseUnreachable(ILogger logger, string host, int port, string database, string error, double delaySeconds, int attempt);

    [LoggerMessage(5001, LogLevel.Information, "Database {Database} is up to date ({Applied} migrations applied now)")]
    public static partial void Migrated(ILogger logger, int applied, string database);
}
