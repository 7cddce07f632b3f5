using System.Net;
using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Gateway.RateLimits;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Gateway.Usage;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Sends one admitted request to a replica: a streaming one with YARP's forwarder, any other in one
/// <see cref="EngineExchange"/>. Picks the replica, counts it in flight, retries a connection failure once on another
/// replica (nothing was sent yet), feeds passive health, and records usage.
/// </summary>
internal sealed class InferenceForwarder(
    IHttpForwarder forwarder,
    ReplicaPicker picker,
    EngineKeys engineKeys,
    KeyRateLimiter limits,
    UsageRecorder usage,
    ReplicaHealthReporter healthReporter,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<InferenceForwarder> logger) : IDisposable
{
    private static readonly EngineTransformer Transformer = new();
    private readonly GatewayOptions _options = options.Value;
    private readonly HttpMessageInvoker _client = new(new BufferedBodyHandler(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        ActivityHeadersPropagator = null,
    }));

    private readonly EngineExchange _exchange = new(TimeSpan.FromSeconds(options.Value.UpstreamIdleTimeoutSeconds), time);

    private readonly ForwarderRequestConfig _requestConfig = new()
    {
        ActivityTimeout = TimeSpan.FromSeconds(options.Value.UpstreamIdleTimeoutSeconds),
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public async Task ForwardAsync(HttpContext context, ApiKeyRecord key, InferenceRequest request, Replica[] replicas, string requestId, string path)
    {
        var started = time.GetTimestamp();
        Replica? failed = null;
        for (var attempt = 1; ; attempt++)
        {
            var replica = picker.Pick(replicas, request.AffinityHash, failed);
            if (replica is null)
            {
                // Every replica marked out since the snapshot (a drain, a failed node) is the same as none ready.
                var error = Array.TrueForAll(replicas, r => r.IsOut)
                    ? OpenAiError.NoReplica(request.Model, _options.NoReplicaRetryAfterSeconds)
                    : OpenAiError.BadGateway($"No replica of '{request.Model}' could be reached.");
                await error.WriteAsync(context.Response).ConfigureAwait(false);
                return;
            }

            replica.Started();
            if (replica.IsOut)
            {
                // Marked out after this request's snapshot was taken: never sent there. Picked again, not counted as an attempt.
                replica.Finished();
                attempt--;
                continue;
            }

            var state = new ForwardingState(requestId, engineKeys.For(replica.NodeId), replica.EngineUri(path), request.Body);
            AttemptResult result;
            try
            {
                result = request.Stream
                    ? await StreamAsync(context, request, replica, state).ConfigureAwait(false)
                    : await _exchange.SendAsync(_client, context, state).ConfigureAwait(false);
            }
            finally
            {
                replica.Finished();
            }

            if (result.Error == AttemptError.Connect && !context.Response.HasStarted && attempt == 1)
            {
                GatewayLog.RetryingOnAnotherReplica(logger, requestId, replica.NodeId);
                ReportFailure(replica, "connect failure");
                context.Response.Clear();
                failed = replica;
                continue;
            }

            await FinishAsync(context, key, request, replica, requestId, started, result, state).ConfigureAwait(false);
            return;
        }
    }

    public void Dispose()
    {
        _exchange.Dispose();
        _client.Dispose();
    }

    /// <summary>A streaming request goes through YARP's forwarder, which passes each event on as soon as it arrives.</summary>
    private async Task<AttemptResult> StreamAsync(HttpContext context, InferenceRequest request, Replica replica, ForwardingState state)
    {
        // The body goes to the engine from the state (BufferedBodyHandler), not from the client's stream, read already.
        context.Features.Set(state);
        var clientBody = context.Response.Body;
        using var tap = new ResponseTap(clientBody, serverSentEvents: true, request.ClientWantsUsage, time, request.ClientWantsUsageInChunks);
        context.Response.Body = tap;
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, replica.Destination, _client, _requestConfig, Transformer).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = clientBody;
        }

        if (error == ForwarderError.None)
        {
            await tap.CompleteAsync(context.RequestAborted).ConfigureAwait(false);
            return new AttemptResult(AttemptError.None, null, tap.Usage);
        }

        var kind = error switch
        {
            ForwarderError.Request when IsConnectFailure(context) => AttemptError.Connect,
            ForwarderError.Request => AttemptError.Request,
            ForwarderError.RequestTimedOut => AttemptError.Timeout,
            ForwarderError.ResponseBodyDestination => AttemptError.ResponseBody,
            _ => AttemptError.Other,
        };
        return new AttemptResult(kind, Describe(context), tap.Usage);
    }

    private async Task FinishAsync(HttpContext context, ApiKeyRecord key, InferenceRequest request, Replica replica, string requestId, long started, AttemptResult result, ForwardingState state)
    {
        var clientGone = context.RequestAborted.IsCancellationRequested;
        if (result.Error != AttemptError.None && !context.Response.HasStarted && !clientGone)
        {
            var upstreamError = result.IsTimeout
                ? OpenAiError.GatewayTimeout($"Replica '{replica.NodeId}' did not answer in time.")
                : OpenAiError.BadGateway($"Replica '{replica.NodeId}' failed: {result.Detail}");
            context.Response.Clear();
            await upstreamError.WriteAsync(context.Response).ConfigureAwait(false);
        }

        // Passive health: transport failures and engine 5xx count against the replica; a client that left does not.
        if (!clientGone && (result.CountsAgainstReplica || state.UpstreamStatus >= 500))
        {
            ReportFailure(replica, result.Error != AttemptError.None ? result.Error.ToString() : $"HTTP {state.UpstreamStatus}");
        }
        else if (state.UpstreamStatus is > 0 and < 500)
        {
            replica.Succeeded();
        }

        var tokens = result.Usage ?? default;
        limits.Charge(key, tokens.TotalTokens);
        usage.Record(new UsageRecord(
            requestId,
            time.GetUtcNow().UtcDateTime,
            key.Tenant,
            key.KeyId,
            request.Model,
            replica.NodeId,
            (short)(clientGone && !context.Response.HasStarted ? 499 : context.Response.StatusCode),
            tokens.PromptTokens,
            tokens.CompletionTokens,
            tokens.TotalTokens,
            request.Stream,
            (int)Math.Min(int.MaxValue, time.GetElapsedTime(started).TotalMilliseconds)));
    }

    private void ReportFailure(Replica replica, string what)
    {
        var ejectUntil = time.GetTimestamp() + (long)(_options.EjectSeconds * (double)time.TimestampFrequency);
        if (replica.Failed(_options.EjectAfterFailures, ejectUntil))
        {
            healthReporter.Ejected(replica, _options.EjectAfterFailures, what, TimeSpan.FromSeconds(_options.EjectSeconds));
        }
    }

    private static bool IsConnectFailure(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>() is { Error: ForwarderError.Request, Exception: var ex } && AttemptResult.IsConnectFailure(ex);

    private static string Describe(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>() is { } feature
            ? $"{feature.Error}{(feature.Exception is { } ex ? ": " + (AttemptResult.HttpFailureOf(ex)?.Message ?? ex.Message) : "")}"
            : "unknown error";
}
