using CrossLogic.ControlPlane.Store;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrossLogic.ControlPlane.Fleet.Reconcile;

/// <summary>
/// Leadership of the reconciler: a PostgreSQL session advisory lock held on one dedicated connection. Exactly one
/// control plane holds it; when that process dies its connection closes and PostgreSQL releases the lock, so a
/// follower polling with pg_try_advisory_lock takes over within one poll. The leader checks its connection before each
/// pass and stops leading the moment it is gone.
/// </summary>
internal sealed class ReconcilerLease(IOptions<StoreOptions> store) : IAsyncDisposable
{
    // Its own unpooled connection: closing it must end the session (and so free the lock), not park it in a pool. The
    // server-side TCP settings make PostgreSQL itself drop the session (and the lock) within about 30 s when the leader's
    // machine vanishes without closing it; Linux's defaults would take two hours.
    private readonly string _connectionString = new NpgsqlConnectionStringBuilder(store.Value.ConnectionString)
    {
        Pooling = false,
        KeepAlive = 5,
        Options = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3 -c tcp_user_timeout=30000",
    }.ConnectionString;

    // Any fixed 64-bit number; this one is "CrossLgc" in ASCII.
    private const long LockKey = 0x43726f73734c6763;
    private NpgsqlConnection? _connection;

    public bool IsHeld => _connection is not null;

    /// <summary>True when the lock is still this process's (checked on its connection); false stops leading.</summary>
    public Task<bool> ConfirmAsync(CancellationToken cancellationToken) =>
        _connection is null ? Task.FromResult(false) : StillHeldAsync(cancellationToken);

    /// <summary>Takes the lock if free; true while this process holds it.</summary>
    public async Task<bool> TryAcquireAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return await StillHeldAsync(cancellationToken).ConfigureAwait(false);
        }

        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", LockKey);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                _connection = connection;
                return true;
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        return false;
    }

    /// <summary>True when the lock's connection still answers (a broken connection means PostgreSQL freed the lock).</summary>
    private async Task<bool> StillHeldAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT 1", _connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            await ReleaseAsync().ConfigureAwait(false);
            return false;
        }
    }

    public async Task ReleaseAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            // Unpooled: closing ends the session, which frees the lock.
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());
}
