using System.Text.Json;
using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Health;
using CrossLogic.ControlPlane.Store;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Link;

/// <summary>
/// Runs one attached agent stream after authentication: records the attach (new lease epoch), welcomes the agent,
/// takes heartbeats into memory, stores events once and acknowledges them, and records the stream's end at once.
/// Routing follows every change as it happens: a stream that ends takes the node out before anything is written.
/// </summary>
internal sealed class LinkSessionHandler(
    NodeStore store,
    LiveNodeRegistry registry,
    RoutingTable routing,
    IOptions<NodeLinkOptions> options,
    TimeProvider timeProvider,
    Observability.ControlPlaneMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<LinkSessionHandler> logger)
{
    private static readonly TimeSpan PreemptionDrainMargin = TimeSpan.FromSeconds(5);
    private static readonly short[] StatesThatStartOnAttach = [(short)Node.Types.State.Requested, (short)Node.Types.State.Provisioning];
    private static readonly string ControlPlaneVersion =
        typeof(LinkSessionHandler).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public async Task RunAsync(Hello hello, IAsyncStreamReader<AgentMessage> requests, IServerStreamWriter<ControlMessage> responses, CancellationToken callCancelled)
    {
        var now = timeProvider.GetUtcNow().UtcDateTime;
        var attach = new AttachRecord(
            hello.NodeId,
            hello.BootId,
            hello.AgentVersion,
            hello.Host?.ToByteArray() ?? [],
            new GpuList(hello.Gpus).ToByteArray(),
            hello.ProbeEndpoint,
            now);
        var attached = await store.AttachAsync(attach, (short)Node.Types.State.Starting, StatesThatStartOnAttach, callCancelled).ConfigureAwait(false);
        var epoch = attached.LeaseEpoch;
        // Every log line of this stream names its node (a JSON log's "Scopes").
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["NodeId"] = hello.NodeId, ["LeaseEpoch"] = epoch });
        using var channel = new ControlChannel(responses);
        var live = new NodeLiveState(hello.NodeId, epoch, now, (Node.Types.State)attached.State)
        {
            Channel = channel,
            EngineEndpoint = attached.EngineEndpoint,
            Model = attached.Model,
            DrainRequested = attached.Retiring,
        };
        registry.Attached(live);
        LinkLog.Attached(logger, hello.NodeId, epoch, hello.AgentVersion);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(callCancelled, lifetime.ApplicationStopping);
        var agentStart = hello.AgentStartTime.ToDateTime();
        var reason = "stream ended by the agent";
        try
        {
            await channel.WriteAsync(new ControlMessage
            {
                Welcome = new Welcome
                {
                    LeaseEpoch = epoch,
                    HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(options.Value.HeartbeatIntervalMs)),
                    ControlPlaneVersion = ControlPlaneVersion,
                },
            }, stopping.Token).ConfigureAwait(false);

            while (await requests.MoveNext(stopping.Token).ConfigureAwait(false))
            {
                var goodbye = await HandleAsync(requests.Current, live, agentStart, channel, stopping.Token).ConfigureAwait(false);
                if (goodbye is not null)
                {
                    reason = "goodbye: " + goodbye;
                    break;
                }
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            reason = "protocol violation: " + ex.Status.Detail;
            throw;
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            reason = "control plane shutting down";
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // A killed agent resets its TCP connection: this is how a crash is seen within milliseconds.
            reason = "stream broken: " + ex.Message;
        }
        finally
        {
            routing.Remove(hello.NodeId, epoch);
            var snapshot = live.Snapshot();
            live.Disconnected(timeProvider.GetUtcNow().UtcDateTime);
            channel.Close();
            LinkLog.Detached(logger, hello.NodeId, epoch, reason);
            try
            {
                await store.DetachAsync(hello.NodeId, epoch, snapshot.LastSeen, (long)snapshot.Sequence, reason, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LinkLog.DetachNotRecorded(logger, ex, hello.NodeId, epoch);
            }
        }
    }

    /// <summary>Handles one message; returns the goodbye reason when the agent says goodbye.</summary>
    private async Task<string?> HandleAsync(AgentMessage message, NodeLiveState live, DateTime agentStart, ControlChannel responses, CancellationToken cancellationToken)
    {
        switch (message.BodyCase)
        {
            case AgentMessage.BodyOneofCase.Heartbeat:
                var heartbeat = message.Heartbeat;
                if (AgentMessageValidator.ValidateHeartbeat(heartbeat) is { } badBeat)
                {
                    throw Invalid(badBeat);
                }

                if (!live.Beat(heartbeat.Sequence, timeProvider.GetUtcNow().UtcDateTime, heartbeat.Engine, heartbeat.Gpus))
                {
                    throw Invalid("heartbeat.sequence must increase within a stream");
                }

                var (derived, reason) = NodeStateDeriver.Derive(live.State, heartbeat.Engine, heartbeat.Gpus);
                if (live.Transition(derived) is { } previous)
                {
                    // Rare, so written at once: routing and operators see a state change without waiting for a flush.
                    try
                    {
                        await store.TransitionAsync(live.NodeId, live.LeaseEpoch, (short)previous, (short)derived, reason, cancellationToken).ConfigureAwait(false);
                        LinkLog.StateChanged(logger, live.NodeId, previous, derived, reason);
                        metrics.NodeTransition(derived);
                    }
                    catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
                    {
                        // The database is away: keep the stream, and try the same transition on the next heartbeat.
                        live.Transition(previous);
                        LinkLog.TransitionNotRecorded(logger, ex, live.NodeId, derived);
                    }
                }

                // From the derived state, even when the database could not take it: routing must not wait for storage.
                var route = live.Route();
                routing.Update(route with { State = derived });

                await responses.WriteAsync(new ControlMessage { HeartbeatAck = new HeartbeatAck { Sequence = heartbeat.Sequence, LeaseEpoch = live.LeaseEpoch } }, cancellationToken).ConfigureAwait(false);
                return null;

            case AgentMessage.BodyOneofCase.Event:
                var nodeEvent = message.Event;
                if (AgentMessageValidator.ValidateEvent(nodeEvent) is { } badEvent)
                {
                    throw Invalid(badEvent);
                }

                await store.AppendAgentEventAsync(new AgentEventRow(
                    live.NodeId,
                    agentStart,
                    (long)nodeEvent.Sequence,
                    nodeEvent.Time.ToDateTime(),
                    ToUpperSnake(nodeEvent.Kind),
                    nodeEvent.Message,
                    JsonSerializer.Serialize(nodeEvent.Detail.ToDictionary(d => d.Key, d => d.Value))), cancellationToken).ConfigureAwait(false);
                if (nodeEvent.Kind is NodeEvent.Types.Kind.EngineExited or NodeEvent.Types.Kind.EngineCrashLoop &&
                    nodeEvent.Detail.TryGetValue("log_tail", out var logTail))
                {
                    await store.SetEngineLogTailAsync(live.NodeId, live.LeaseEpoch, logTail, cancellationToken).ConfigureAwait(false);
                }

                await responses.WriteAsync(new ControlMessage { EventAck = new EventAck { Sequence = nodeEvent.Sequence } }, cancellationToken).ConfigureAwait(false);
                if (nodeEvent.Kind == NodeEvent.Types.Kind.PreemptionNotice)
                {
                    await DrainBeforePreemptionAsync(live, nodeEvent, responses, cancellationToken).ConfigureAwait(false);
                }

                return null;

            case AgentMessage.BodyOneofCase.Goodbye:
                return message.Goodbye.Reason.Length > 256 ? message.Goodbye.Reason[..256] : message.Goodbye.Reason;

            case AgentMessage.BodyOneofCase.CommandAck:
                LinkLog.CommandAcknowledged(logger, live.NodeId, message.CommandAck.CommandId, message.CommandAck.Ok, message.CommandAck.Error);
                responses.Acknowledged(message.CommandAck);
                return null;

            case AgentMessage.BodyOneofCase.Hello:
                throw Invalid("Hello may be sent only once per stream");

            default:
                throw Invalid("empty message");
        }
    }

    /// <summary>
    /// The cloud will take the machine: out of routing now (new requests go elsewhere; the reconciler replaces the
    /// draining node), and the agent told to finish running requests before the deadline.
    /// </summary>
    private async Task DrainBeforePreemptionAsync(NodeLiveState live, NodeEvent notice, ControlChannel responses, CancellationToken cancellationToken)
    {
        live.DrainRequested = true;
        routing.Update(live.Route());
        var left = notice.Detail.TryGetValue("deadline", out var text)
                   && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var deadline)
            ? deadline - timeProvider.GetUtcNow() - PreemptionDrainMargin
            : TimeSpan.FromSeconds(25);
        left = left < TimeSpan.Zero ? TimeSpan.Zero : left > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : left;
        var commandId = "cmd-preempt-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            // Acknowledged like any command; not awaited here, the stream keeps reading.
            _ = await responses.SendCommandAsync(commandId, new ControlMessage
            {
                DrainEngine = new DrainEngine { CommandId = commandId, Deadline = Duration.FromTimeSpan(left) },
            }, cancellationToken).ConfigureAwait(false);
            LinkLog.PreemptionDrain(logger, live.NodeId, left);
        }
        catch (InvalidOperationException)
        {
            // The stream is closing; the agent drains on its own when the control plane is gone.
        }
    }

    /// <summary>`LinkLost` → `LINK_LOST`, the name the proto gives the value.</summary>
    private static string ToUpperSnake(NodeEvent.Types.Kind kind) =>
        NodeEvent.Descriptor.EnumTypes[0].FindValueByNumber((int)kind)?.Name ?? kind.ToString();

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}
