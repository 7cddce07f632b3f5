using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Store;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrossLogic.ControlPlane.Link.Relay;

/// <summary>
/// The holding side of relayed commands: listens on `crosslogic_node_commands`, and for each command whose node's
/// stream this replica holds, claims it, sends it down the stream and records the agent's answer. After (re)connecting
/// it looks for commands announced while it was not listening, as long as their requesters still wait. Once a minute
/// it forgets commands older than a day.
/// </summary>
internal sealed class NodeCommandRelay(
    LiveNodeRegistry live,
    NodeCommands commands,
    NodeCommandStore store,
    Hosting.ControlPlaneInstance instance,
    IOptions<StoreOptions> storeOptions,
    TimeProvider time,
    ILogger<NodeCommandRelay> logger) : BackgroundService
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan KeepFor = TimeSpan.FromDays(1);
    private readonly string _connectionString = ListenerConnections.For(storeOptions.Value.ConnectionString);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ListenerConnections.KeepListeningAsync(
        ListenAsync,
        ex => LinkLog.RelayUnavailable(logger, ex),
        () => LinkLog.RelayListening(logger),
        static () => { },
        time,
        stoppingToken);

    private async Task ListenAsync(Action listening, CancellationToken stoppingToken)
    {
        var announced = new List<string>();
        await using var connection = new NpgsqlConnection(_connectionString);
        connection.Notification += (_, e) => announced.Add(e.Payload);
        await connection.OpenAsync(stoppingToken).ConfigureAwait(false);
        await using (var listen = new NpgsqlCommand($"LISTEN {NodeCommandStore.Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
        }

        listening();
        foreach (var (nodeId, commandId) in await NodeCommandStore.PendingAsync(connection, NodeCommands.ClaimTimeout, stoppingToken).ConfigureAwait(false))
        {
            Take(nodeId, commandId, stoppingToken);
        }

        var lastPrune = time.GetTimestamp();
        while (true)
        {
            // Notifications arrive only while this loop waits on the connection: the list needs no lock.
            foreach (var payload in announced)
            {
                if (payload.Split(' ') is [var nodeId, var commandId])
                {
                    Take(nodeId, commandId, stoppingToken);
                }
            }

            announced.Clear();
            if (time.GetElapsedTime(lastPrune) >= PruneInterval)
            {
                lastPrune = time.GetTimestamp();
                await store.PruneAsync(KeepFor, stoppingToken).ConfigureAwait(false);
            }

            await connection.WaitAsync(PruneInterval, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Relays the command if this replica holds the node's stream; the other replicas ignore it.</summary>
    private void Take(string nodeId, string commandId, CancellationToken stoppingToken)
    {
        if (live.ChannelOf(nodeId) is not null)
        {
            _ = RelayAsync(nodeId, commandId, stoppingToken);
        }
    }

    private async Task RelayAsync(string nodeId, string commandId, CancellationToken stoppingToken)
    {
        try
        {
            if (await store.ClaimAsync(commandId, instance.Id, NodeCommands.ClaimTimeout, stoppingToken).ConfigureAwait(false) is not { } message)
            {
                return;
            }

            string state;
            bool? ok = null;
            var error = "";
            try
            {
                if (live.SessionOf(nodeId) is not { } session || live.ChannelOf(nodeId) is not { } channel)
                {
                    throw new InvalidOperationException("the stream closed before the command was sent");
                }

                var ack = await commands.DispatchAsync(session, channel, commandId, ControlMessage.Parser.ParseFrom(message), stoppingToken).ConfigureAwait(false);
                await store.CompleteAsync(commandId, NodeCommandStore.Delivered, null, "", stoppingToken).ConfigureAwait(false);
                var answer = await ack.WaitAsync(NodeCommands.AnswerTimeout, time, stoppingToken).ConfigureAwait(false);
                (state, ok, error) = (NodeCommandStore.Acknowledged, answer.Ok, answer.Error);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException or Google.Protobuf.InvalidProtocolBufferException)
            {
                (state, error) = (NodeCommandStore.Failed, ex.Message);
            }

            await store.CompleteAsync(commandId, state, ok, error, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            LinkLog.RelayNotRecorded(logger, ex, commandId, nodeId);
        }
    }
}
