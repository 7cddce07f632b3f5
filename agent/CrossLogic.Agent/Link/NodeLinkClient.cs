using CrossLogic.Agent.Configuration;
using CrossLogic.Agent.Engine;
using CrossLogic.Agent.Hosting;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Link;

/// <summary>
/// Holds the one stream to the control plane: Hello, then heartbeats at the interval the control plane sets,
/// events until acknowledged, and Goodbye at shutdown. Redials forever with jittered, capped backoff.
/// </summary>
internal sealed class NodeLinkClient(
    AgentOptions options,
    AgentIdentity identity,
    NodeCredential credential,
    OutboundEventQueue events,
    LinkState state,
    ProbeEndpoint probeEndpoint,
    NodeStatusReader status,
    EngineSupervisor engine,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<NodeLinkClient> logger) : BackgroundService
{
    private static readonly TimeSpan GoodbyeTimeout = TimeSpan.FromSeconds(3);
    private ActiveSession? _active;
    private ulong _heartbeatSequence;
    private volatile bool _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        events.TryEnqueue(NodeEvent.Types.Kind.AgentStarted, $"agent {identity.Version} started");
        string endpoint;
        try
        {
            endpoint = await probeEndpoint.WhenBoundAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using var channel = CreateChannel(options.ControlPlane.Url);
        var client = new NodeLink.NodeLinkClient(channel);
        var backoff = new ReconnectBackoff(
            TimeSpan.FromMilliseconds(options.Link.ReconnectMinDelayMs),
            TimeSpan.FromMilliseconds(options.Link.ReconnectMaxDelayMs),
            Random.Shared);

        while (!stoppingToken.IsCancellationRequested)
        {
            LinkLog.Dialing(logger, options.ControlPlane.Url, identity.NodeId);
            var outcome = await RunSessionAsync(client, endpoint, backoff, stoppingToken).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested || outcome.ShutdownRequested || _stopping)
            {
                break;
            }

            state.Disconnected(stopping: false);
            if (outcome.WasWelcomed && !events.TryEnqueue(NodeEvent.Types.Kind.LinkLost, $"link lost: {outcome.Reason}"))
            {
                LinkLog.EventDropped(logger, nameof(NodeEvent.Types.Kind.LinkLost));
            }

            var delay = backoff.Next();
            if (outcome.Unauthenticated)
            {
                LinkLog.Unauthenticated(logger, outcome.Reason, delay.TotalMilliseconds);
            }
            else
            {
                LinkLog.LinkLost(logger, outcome.Reason, delay.TotalMilliseconds, backoff.Attempt);
            }

            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (Volatile.Read(ref _active) is { } active)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(GoodbyeTimeout);
                // Events raised while stopping (the engine's drain) go out and are acknowledged before the goodbye.
                while (events.Count > 0 && !timeout.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(20), timeProvider, timeout.Token).ConfigureAwait(false);
                }

                var goodbye = new AgentMessage { Goodbye = new Goodbye { Reason = "agent stopping" } };
                if (await active.Writer.WriteAsync(goodbye, timeout.Token).ConfigureAwait(false))
                {
                    await active.Writer.CompleteAsync(timeout.Token).ConfigureAwait(false);
                    // The control plane closes its side once it has recorded the goodbye.
                    await active.Ended.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
                    LinkLog.SaidGoodbye(logger);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or RpcException or InvalidOperationException or IOException)
            {
                // Best effort: the stream's end tells the control plane all the same.
            }
        }

        state.Disconnected(stopping: true);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<SessionOutcome> RunSessionAsync(NodeLink.NodeLinkClient client, string endpoint, ReconnectBackoff backoff, CancellationToken stoppingToken)
    {
        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var headers = new Metadata { { "authorization", "Bearer " + credential.Token } };
        var welcomed = false;
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            using var call = client.Attach(headers, cancellationToken: sessionCts.Token);
            using var writer = new SerializedStreamWriter<AgentMessage>(call.RequestStream);
            Volatile.Write(ref _active, new ActiveSession(writer, ended));
            await writer.WriteAsync(new AgentMessage { Hello = BuildHello(endpoint) }, sessionCts.Token).ConfigureAwait(false);

            var opening = await ReadWelcomeAsync(call.ResponseStream, sessionCts.Token).ConfigureAwait(false);
            if (opening is null)
            {
                return new SessionOutcome(false, false, false, "stream closed before Welcome");
            }

            if (opening.Shutdown is { } refused)
            {
                // Fenced: this node was declared dead and replaced while it was away. It must not serve again.
                LinkLog.ShutdownRequested(logger, refused.Reason);
                state.MarkFenced();
                lifetime.StopApplication();
                return new SessionOutcome(false, false, true, "control plane requested shutdown: " + refused.Reason);
            }

            var welcome = opening.Welcome;

            welcomed = true;
            var interval = welcome.HeartbeatInterval?.ToTimeSpan() is { } i && i > TimeSpan.Zero ? i : TimeSpan.FromSeconds(1);
            backoff.Reset();
            state.Connected(welcome.LeaseEpoch);
            LinkLog.Welcomed(logger, welcome.LeaseEpoch, interval.TotalMilliseconds);
            events.ResendAll();

            var acks = new AckTracker();
            var shutdown = new ShutdownFlag();
            var reader = ReadAsync(call.ResponseStream, writer, acks, shutdown, sessionCts.Token);
            _ = reader.ContinueWith(_ => ended.TrySetResult(), TaskScheduler.Default);
            var heartbeats = HeartbeatAsync(writer, interval, acks, sessionCts.Token);
            var pump = PumpEventsAsync(writer, sessionCts.Token);

            var first = await Task.WhenAny(reader, heartbeats, pump).ConfigureAwait(false);
            if (_stopping)
            {
                // Goodbye is on its way: let the control plane close the stream, so it reads the goodbye before any cancel.
                await reader.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(GoodbyeTimeout, CancellationToken.None)
                    .ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }

            Volatile.Write(ref _active, null);
            await sessionCts.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(reader, heartbeats, pump).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);

            return new SessionOutcome(true, false, shutdown.Requested, first.Exception?.GetBaseException().Message ?? await first.ConfigureAwait(false));
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated)
        {
            return new SessionOutcome(welcomed, true, false, ex.Status.Detail);
        }
        catch (RpcException ex)
        {
            return new SessionOutcome(welcomed, false, false, $"{ex.StatusCode}: {ex.Status.Detail}");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return new SessionOutcome(welcomed, false, false, "stopping");
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException or InvalidOperationException)
        {
            return new SessionOutcome(welcomed, false, false, ex.Message);
        }
        finally
        {
            Volatile.Write(ref _active, null);
            ended.TrySetResult();
        }
    }

    /// <summary>The control plane's first message: Welcome, or Shutdown for a fenced node; null when the stream closed.</summary>
    private async Task<ControlMessage?> ReadWelcomeAsync(IAsyncStreamReader<ControlMessage> responses, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(options.Link.WelcomeTimeoutMs));
        if (!await responses.MoveNext(timeout.Token).ConfigureAwait(false))
        {
            return null;
        }

        var first = responses.Current;
        return first.BodyCase is ControlMessage.BodyOneofCase.Welcome or ControlMessage.BodyOneofCase.Shutdown
            ? first
            : throw new InvalidOperationException($"expected Welcome, got {first.BodyCase}");
    }

    private async Task<string> ReadAsync(IAsyncStreamReader<ControlMessage> responses, SerializedStreamWriter<AgentMessage> writer, AckTracker acks, ShutdownFlag shutdown, CancellationToken cancellationToken)
    {
        while (await responses.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var message = responses.Current;
            switch (message.BodyCase)
            {
                case ControlMessage.BodyOneofCase.HeartbeatAck:
                    acks.Acknowledged(message.HeartbeatAck.Sequence);
                    state.Acknowledged(timeProvider.GetUtcNow());
                    break;
                case ControlMessage.BodyOneofCase.EventAck:
                    events.Acknowledge(message.EventAck.Sequence);
                    break;
                case ControlMessage.BodyOneofCase.DrainEngine:
                    var drain = message.DrainEngine;
                    var deadline = drain.Deadline?.ToTimeSpan() is { } d && d > TimeSpan.Zero ? d : (TimeSpan?)null;
                    // A drain takes as long as the running requests; acknowledge when it is done, without blocking the reader.
                    _ = AcknowledgeWhenDoneAsync(writer, drain.CommandId, engine.DrainAsync(deadline, cancellationToken), cancellationToken);
                    break;
                case ControlMessage.BodyOneofCase.RestartEngine:
                    engine.RequestRestart();
                    await writer.WriteAsync(new AgentMessage { CommandAck = new CommandAck { CommandId = message.RestartEngine.CommandId, Ok = true } }, cancellationToken).ConfigureAwait(false);
                    break;
                case ControlMessage.BodyOneofCase.Shutdown:
                    LinkLog.ShutdownRequested(logger, message.Shutdown.Reason);
                    state.MarkFenced();
                    shutdown.Requested = true;
                    lifetime.StopApplication();
                    return "control plane requested shutdown: " + message.Shutdown.Reason;
                default:
                    // Newer control planes may send commands this agent does not know; ignoring them is safe.
                    break;
            }
        }

        return "control plane closed the stream";
    }

    private static async Task AcknowledgeWhenDoneAsync(SerializedStreamWriter<AgentMessage> writer, string commandId, Task<DrainResult> work, CancellationToken cancellationToken)
    {
        var ack = new CommandAck { CommandId = commandId, Ok = true };
        try
        {
            var result = await work.ConfigureAwait(false);
            if (result.RequestsCut > 0)
            {
                ack.Error = $"{result.RequestsCut} requests were still running at the deadline";
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            await writer.WriteAsync(new AgentMessage { CommandAck = ack }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or InvalidOperationException or IOException)
        {
            // The stream is gone; the drain's event still reports the outcome.
        }
    }

    /// <summary>
    /// Beats at the interval, and at once when the engine's state changes (a crash, ready after loading), so routing
    /// follows the engine within milliseconds. The extra beats are marked, so the control plane's detector learns the
    /// rhythm from the regular ones.
    /// </summary>
    private async Task<string> HeartbeatAsync(SerializedStreamWriter<AgentMessage> writer, TimeSpan interval, AckTracker acks, CancellationToken cancellationToken)
    {
        var next = timeProvider.GetUtcNow();
        var onChange = false;
        while (true)
        {
            var changed = status.WhenEngineChanges();
            var sequence = Interlocked.Increment(ref _heartbeatSequence);
            if (acks.Outstanding(sequence) > (ulong)options.Link.MissedAcksBeforeRedial)
            {
                LinkLog.AcksMissed(logger, options.Link.MissedAcksBeforeRedial);
                return "heartbeat acknowledgements stopped";
            }

            var heartbeat = new Heartbeat
            {
                Sequence = sequence,
                SentTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
                Engine = status.Engine(),
                OnChange = onChange,
            };
            heartbeat.Gpus.AddRange(status.GpuSamples());
            if (!await writer.WriteAsync(new AgentMessage { Heartbeat = heartbeat }, cancellationToken).ConfigureAwait(false))
            {
                return "stream completed";
            }

            if (!onChange)
            {
                next += interval;
            }

            var wait = next - timeProvider.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                var tick = Task.Delay(wait, timeProvider, cancellationToken);
                onChange = await Task.WhenAny(tick, changed).ConfigureAwait(false) == changed;
                cancellationToken.ThrowIfCancellationRequested();
            }
            else
            {
                // Late (a pause, a slow write): beat now and keep the rhythm from here rather than bursting to catch up.
                next = timeProvider.GetUtcNow();
                onChange = false;
            }
        }
    }

    private async Task<string> PumpEventsAsync(SerializedStreamWriter<AgentMessage> writer, CancellationToken cancellationToken)
    {
        while (true)
        {
            foreach (var nodeEvent in events.TakeUnsent())
            {
                if (!await writer.WriteAsync(new AgentMessage { Event = nodeEvent }, cancellationToken).ConfigureAwait(false))
                {
                    return "stream completed";
                }
            }

            await events.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private Hello BuildHello(string endpoint)
    {
        var hello = new Hello
        {
            NodeId = identity.NodeId,
            BootId = identity.BootId,
            AgentVersion = identity.Version,
            Host = identity.Host,
            ProbeEndpoint = endpoint,
            PendingEventSequence = events.HighestPending,
            AgentStartTime = Timestamp.FromDateTimeOffset(identity.StartTime),
        };
        hello.Gpus.AddRange(status.GpuDevices());
        return hello;
    }

    private static GrpcChannel CreateChannel(string url) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            // HTTP/2 pings catch a connection that died silently (a NAT that forgot us, a frozen peer).
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        },
        DisposeHttpClient = true,
    });

    /// <summary>The stream in use, so that StopAsync can say goodbye on it; Ended completes when the control plane closes it.</summary>
    private sealed record ActiveSession(SerializedStreamWriter<AgentMessage> Writer, TaskCompletionSource Ended);

    private sealed record SessionOutcome(bool WasWelcomed, bool Unauthenticated, bool ShutdownRequested, string Reason);

    private sealed class ShutdownFlag
    {
        public volatile bool Requested;
    }

    /// <summary>How many heartbeats went out since the last one the control plane acknowledged.</summary>
    private sealed class AckTracker
    {
        private ulong _firstSent;
        private ulong _lastAcked;

        public void Acknowledged(ulong sequence)
        {
            if (sequence > Interlocked.Read(ref _lastAcked))
            {
                Interlocked.Exchange(ref _lastAcked, sequence);
            }
        }

        public ulong Outstanding(ulong nextSequence)
        {
            Interlocked.CompareExchange(ref _firstSent, nextSequence, 0);
            var floor = Math.Max(Interlocked.Read(ref _lastAcked), Interlocked.Read(ref _firstSent) - 1);
            return nextSequence - 1 - floor;
        }
    }
}
