using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Gateway.Routing;
using Google.Protobuf;

namespace CrossLogic.ControlPlane.Link.Relay;

/// <summary>
/// Sends a command to a node's agent through whichever control-plane replica holds its stream: this one directly, any
/// other through `node_commands` (see <see cref="NodeCommandRelay"/>). Either way, a drain takes the node out of
/// routing before it is sent, and a restart that the agent accepts makes the node routable again.
/// </summary>
internal sealed class NodeCommands(LiveNodeRegistry live, RoutingTable routing, NodeCommandStore store, TimeProvider time)
{
    /// <summary>How long a relayed command waits for the replica holding the node's stream to take it.</summary>
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long the agent's answer to a relayed command is waited for.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long a claimed command may take to go down the stream.</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>Sends the command; the returned task completes with the agent's acknowledgement.</summary>
    /// <exception cref="NodeNotConnectedException">No replica holds the node's stream, or it closed before the command went out.</exception>
    public async Task<Task<CommandAck>> SendAsync(string nodeId, string commandId, ControlMessage command, CancellationToken cancellationToken)
    {
        if (live.SessionOf(nodeId) is { } session && live.ChannelOf(nodeId) is { } channel)
        {
            try
            {
                return await DispatchAsync(session, channel, commandId, command, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException)
            {
                throw new NodeNotConnectedException($"node '{nodeId}' disconnected: {ex.Message}");
            }
        }

        await store.RequestAsync(commandId, nodeId, command.ToByteArray(), cancellationToken).ConfigureAwait(false);
        var requestedAt = time.GetTimestamp();
        while (true)
        {
            var (state, _, error) = await store.GetAsync(commandId, cancellationToken).ConfigureAwait(false);
            var waited = time.GetElapsedTime(requestedAt);
            switch (state)
            {
                case NodeCommandStore.Delivered or NodeCommandStore.Acknowledged:
                    return AnswerAsync(commandId);
                case NodeCommandStore.Failed:
                    throw new NodeNotConnectedException($"node '{nodeId}' disconnected: {error}");
                case NodeCommandStore.Pending when waited >= ClaimTimeout:
                    if (await store.ExpireAsync(commandId, cancellationToken).ConfigureAwait(false))
                    {
                        throw new NodeNotConnectedException($"node '{nodeId}' is not connected to any control-plane replica");
                    }

                    break; // Claimed just now: wait for the delivery.
                case NodeCommandStore.Claimed when waited >= ClaimTimeout + DeliveryTimeout:
                    // The holder claimed it and went quiet (it died, or lost the database): the outcome is unknown.
                    throw new NodeNotConnectedException($"node '{nodeId}': the control-plane replica holding its stream took the command but did not report sending it");
                default:
                    await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>Sends a command down a stream this replica holds, with what the command means for routing.</summary>
    public async Task<Task<CommandAck>> DispatchAsync(NodeLiveState session, ControlChannel channel, string commandId, ControlMessage command, CancellationToken cancellationToken)
    {
        if (command.DrainEngine is not null)
        {
            // Out of routing now, not at the next heartbeat: new requests go elsewhere while running ones finish.
            session.DrainRequested = true;
            routing.Update(session.Route());
        }

        var ack = await channel.SendCommandAsync(commandId, command, cancellationToken).ConfigureAwait(false);
        if (command.RestartEngine is not null)
        {
            _ = RoutableAfterRestartAsync(session, ack);
        }

        return ack;
    }

    private static async Task RoutableAfterRestartAsync(NodeLiveState session, Task<CommandAck> ack)
    {
        try
        {
            if ((await ack.ConfigureAwait(false)).Ok)
            {
                session.DrainRequested = false;
            }
        }
        catch (InvalidOperationException)
        {
            // The stream closed first: the next session decides.
        }
    }

    /// <summary>The answer the holding replica records for a relayed command.</summary>
    private async Task<CommandAck> AnswerAsync(string commandId)
    {
        var giveUpAt = time.GetTimestamp() + (long)(AnswerTimeout.TotalSeconds * time.TimestampFrequency);
        while (time.GetTimestamp() < giveUpAt)
        {
            var (state, ok, error) = await store.GetAsync(commandId, CancellationToken.None).ConfigureAwait(false);
            switch (state)
            {
                case NodeCommandStore.Acknowledged:
                    return new CommandAck { CommandId = commandId, Ok = ok ?? false, Error = error };
                case NodeCommandStore.Failed:
                    throw new InvalidOperationException(error);
            }

            await Task.Delay(Poll, time, CancellationToken.None).ConfigureAwait(false);
        }

        throw new TimeoutException($"no answer to command {commandId} within {AnswerTimeout.TotalSeconds} s");
    }
}

/// <summary>No control-plane replica holds the node's stream (or it closed before the command was sent).</summary>
internal sealed class NodeNotConnectedException(string message) : Exception(message);
