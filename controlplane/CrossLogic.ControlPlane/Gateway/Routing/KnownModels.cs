using CrossLogic.ControlPlane.Store;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// Tells "no such model" (404) from "none of it is ready right now" (503): a model is known while any live node is
/// placed to serve it. Read from the database at most every few seconds, and only when a model has no replica.
/// </summary>
internal sealed class KnownModels(NodeStore store, TimeProvider time)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private IReadOnlySet<string> _models = new HashSet<string>();
    private long _readAt;

    public async ValueTask<bool> ExistsAsync(string model, CancellationToken cancellationToken)
    {
        if (_models.Contains(model) && _readAt != 0 && time.GetElapsedTime(_readAt) < Refresh)
        {
            return true;
        }

        // Unknown is safer as "not ready" (503, retry) than as "does not exist" (404) while the database is away.
        var read = await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return _models.Contains(model) || !read;
    }

    /// <summary>False when the database could not be read.</summary>
    private async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A concurrent caller refreshed while this one waited.
            if (_readAt != 0 && time.GetElapsedTime(_readAt) < TimeSpan.FromMilliseconds(250))
            {
                return true;
            }

            try
            {
                _models = (await store.ActiveModelsAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
                _readAt = time.GetTimestamp();
                return true;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                return false;
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }
}
