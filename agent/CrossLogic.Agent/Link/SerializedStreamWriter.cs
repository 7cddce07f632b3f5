using Grpc.Core;

namespace CrossLogic.Agent.Link;

/// <summary>One writer at a time on a gRPC request stream (heartbeats, events and goodbye share it).</summary>
internal sealed class SerializedStreamWriter<T>(IClientStreamWriter<T> inner) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _completed;

    /// <summary>Writes unless the stream was already completed; false when it was.</summary>
    public async Task<bool> WriteAsync(T message, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_completed)
            {
                return false;
            }

            await inner.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_completed)
            {
                _completed = true;
                await inner.CompleteAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
