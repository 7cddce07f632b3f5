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
    IOptions<HealthOptions> health,
    LiveTransitions transitions,
    TimeProvider timeProvider,
    Observability.ControlPlaneMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<LinkSessionHandler> logger)
{
    private static readonly TimeSpan PreemptionDrainMargin = TimeSpan.FromSeconds(5);
    private const int MaxPendingEvents = 1_000;
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
        if (attached.Fenced)
        {
            await FenceAsync(hello.NodeId, epoch, (Node.Types.State)attached.State, channel, callCancelled).ConfigureAwait(false);
            return;
        }

        var interval = TimeSpan.FromMilliseconds(options.Value.HeartbeatIntervalMs);
        var live = new NodeLiveState(
            hello.NodeId, epoch, now, (Node.Types.State)attached.State, new PhiAccrualDetector(interval, TimeSpan.FromMilliseconds(health.Value.MinStdDevMs), now))
        {
            Channel = channel,
            EngineEndpoint = attached.EngineEndpoint,
            ProbeEndpoint = attached.ProbeEndpoint,
            Model = attached.Model,
            DrainRequested = attached.Retiring,
        };
        registry.Attached(live);
        LinkLog.Attached(logger, hello.NodeId, epoch, hello.AgentVersion);

        // Ended by the agent, by shutdown, or by the health monitor (a silent stream; a fenced node).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(callCancelled, lifetime.ApplicationStopping, live.Aborted);
        var agentStart = hello.AgentStartTime.ToDateTime();
        var reason = "stream ended by the agent";
        var pending = new Queue<NodeEvent>();
        try
        {
            await channel.WriteAsync(new ControlMessage
            {
                Welcome = new Welcome
                {
                    LeaseEpoch = epoch,
                    HeartbeatInterval = Duration.FromTimeSpan(interval),
                    ControlPlaneVersion = ControlPlaneVersion,
                },
            }, stopping.Token).ConfigureAwait(false);

            while (await requests.MoveNext(stopping.Token).ConfigureAwait(false))
            {
                var goodbye = await HandleAsync(requests.Current, live, agentStart, pending, channel, stopping.Token).ConfigureAwait(false);
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
        catch (OperationCanceledException) when (live.Aborted.IsCancellationRequested)
        {
            reason = live.Fenced ? "fenced" : "ended by the health monitor: the stream was silent";
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // A killed agent resets its TCP connection: this is how a crash is seen within milliseconds.
            reason = "stream broken: " + ex.Message;
        }
        finally
        {
            // Out of routing at once, unless a fresh probe vouches for the node (its link broke, it serves).
            var snapshot = live.Snapshot();
            live.Disconnected(timeProvider.GetUtcNow().UtcDateTime);
            routing.Update(live.Route());
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

    /// <summary>
    /// A node declared dead (or unreachable past its grace) came back: it is told to shut down and is never routed.
    /// Its lease epoch moved on with this attach, so nothing it does under an older one counts either.
    /// </summary>
    private async Task FenceAsync(string nodeId, long epoch, Node.Types.State state, ControlChannel channel, CancellationToken cancellationToken)
    {
        var reason = $"fenced: this node was declared dead or replaced while it was away (state {NodeStates.Name(state)}); shut down";
        LinkLog.Fenced(logger, nodeId, epoch, NodeStates.Name(state));
        metrics.HealthSignal("fenced");
        try
        {
            await store.AppendEventAsync(nodeId, "FENCED", "a fenced node attached again: told to shut down",
                JsonSerializer.Serialize(new Dictionary<string, string> { ["lease_epoch"] = epoch.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
                cancellationToken).ConfigureAwait(false);
            await channel.WriteAsync(new ControlMessage { Shutdown = new Contracts.V1.Shutdown { Reason = reason } }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or IOException or OperationCanceledException or InvalidOperationException)
        {
            // Not told this time: it is told again at its next attach, and never routed either way.
        }
        finally
        {
            channel.Close();
        }
    }

    /// <summary>Handles one message; returns the goodbye reason when the agent says goodbye.</summary>
    private async Task<string?> HandleAsync(AgentMessage message, NodeLiveState live, DateTime agentStart, Queue<NodeEvent> pending, ControlChannel responses, CancellationToken cancellationToken)
    {
        switch (message.BodyCase)
        {
            case AgentMessage.BodyOneofCase.Heartbeat:
                var heartbeat = message.Heartbeat;
                if (AgentMessageValidator.ValidateHeartbeat(heartbeat) is { } badBeat)
                {
                    throw Invalid(badBeat);
                }

                if (!live.Beat(heartbeat.Sequence, timeProvider.GetUtcNow().UtcDateTime, heartbeat.Engine, heartbeat.Gpus, regular: !heartbeat.OnChange))
                {
                    throw Invalid("heartbeat.sequence must increase within a stream");
                }

                var (derived, reason) = NodeStateDeriver.Derive(live.State, heartbeat.Engine, heartbeat.Gpus);
                if (live.DrainRequested && derived is Node.Types.State.Ready or Node.Types.State.Degraded)
                {
                    // Told to drain (a preemption notice, an operator, a retirement): the engine follows in a moment.
                    (derived, reason) = (Node.Types.State.Draining, "drain requested");
                }

                // Rare, so written at once: routing and operators see a state change without waiting for a flush.
                // When the database is away the stream stays, and the same transition is tried at the next heartbeat.
                await transitions.ApplyAsync(live, derived, reason, cancellationToken).ConfigureAwait(false);

                // From the derived state, even when the database could not take it: routing must not wait for storage.
                var route = live.Route();
                routing.Update(route with { State = derived });

                await responses.WriteAsync(new ControlMessage { HeartbeatAck = new HeartbeatAck { Sequence = heartbeat.Sequence, LeaseEpoch = live.LeaseEpoch } }, cancellationToken).ConfigureAwait(false);
                if (pending.Count > 0)
                {
                    // Events the database could not take earlier: tried again at every beat, in order.
                    await StorePendingEventsAsync(live, agentStart, pending, responses, cancellationToken).ConfigureAwait(false);
                }

                return null;

            case AgentMessage.BodyOneofCase.Event:
                var nodeEvent = message.Event;
                if (AgentMessageValidator.ValidateEvent(nodeEvent) is { } badEvent)
                {
                    throw Invalid(badEvent);
                }

                if (nodeEvent.Kind == NodeEvent.Types.Kind.PreemptionNotice)
                {
                    // Before storage: routing and the drain must not wait for the database.
                    await DrainBeforePreemptionAsync(live, nodeEvent, responses, cancellationToken).ConfigureAwait(false);
                }

                if (pending.Count >= MaxPendingEvents)
                {
                    // The agent keeps every unacknowledged event and sends them again after it reconnects.
                    throw new RpcException(new Status(StatusCode.Unavailable, "control plane database unavailable; events are kept by the agent"));
                }

                pending.Enqueue(nodeEvent);
                await StorePendingEventsAsync(live, agentStart, pending, responses, cancellationToken).ConfigureAwait(false);
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
    /// Stores the events waiting, oldest first, acknowledging each once stored (an acknowledgement covers every earlier
    /// sequence, so the order matters). A database outage leaves the rest waiting, unacknowledged: the agent keeps them
    /// and nothing is lost; a stored event sent again is ignored by its (node, agent start, sequence) key.
    /// </summary>
    private async Task StorePendingEventsAsync(NodeLiveState live, DateTime agentStart, Queue<NodeEvent> pending, ControlChannel responses, CancellationToken cancellationToken)
    {
        while (pending.TryPeek(out var nodeEvent))
        {
            try
            {
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
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                if (pending.Count == 1)
                {
                    LinkLog.EventsWaiting(logger, ex, live.NodeId);
                }

                return;
            }

            pending.Dequeue();
            await responses.WriteAsync(new ControlMessage { EventAck = new EventAck { Sequence = nodeEvent.Sequence } }, cancellationToken).ConfigureAwait(false);
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
        var noticeReason = "preemption notice" + (notice.Detail.TryGetValue("deadline", out var at) ? ", deadline " + at : "");
        // Draining in the table at once, so the reconciler launches the replacement without waiting for the engine.
        await transitions.ApplyAsync(live, Node.Types.State.Draining, noticeReason, cancellationToken).ConfigureAwait(false);
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
