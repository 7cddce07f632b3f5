using System.Collections.Concurrent;
using CrossLogic.Contracts.V1;
using Grpc.Core;

namespace CrossLogic.ControlPlane.Link;

/// <summary>
/// The control plane's side of one agent stream: serialized writes (acks from the session, commands from the admin
/// API) and commands that wait for the agent's acknowledgement by id.
/// </summary>
internal sealed class ControlChannel(IServerStreamWriter<ControlMessage> writer) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<CommandAck>> _pending = new(StringComparer.Ordinal);
    private volatile bool _closed;

    public async Task WriteAsync(ControlMessage message, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                throw new InvalidOperationException("the stream is closed");
            }

            await writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends a command; the returned task completes with the agent's acknowledgement.</summary>
    public async Task<Task<CommandAck>> SendCommandAsync(string commandId, ControlMessage message, CancellationToken cancellationToken)
    {
        var ack = new TaskCompletionSource<CommandAck>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[commandId] = ack;
        try
        {
            await WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pending.TryRemove(commandId, out _);
            throw;
        }

        return ack.Task;
    }

    public void Acknowledged(CommandAck ack)
    {
        if (_pending.TryRemove(ack.CommandId, out var waiting))
        {
            waiting.TrySetResult(ack);
        }
    }

    /// <summary>The stream ended: pending commands fail rather than wait forever.</summary>
    public void Close()
    {
        _closed = true;
        foreach (var (id, waiting) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                waiting.TrySetException(new InvalidOperationException("the node's stream closed before it acknowledged the command"));
            }
        }
    }

    public void Dispose() => _gate.Dispose();
}
