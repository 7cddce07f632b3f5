using System.Buffers;
using System.Net;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Sends a non-streaming request to an engine and gives the client the whole answer in one write.
/// </summary>
/// <remarks>
/// A non-streaming answer is one JSON document that the engine sends when generation is done, so nothing is gained
/// by passing it on piece by piece. YARP's forwarder does that anyway: it streams the request body, copies the answer
/// through its own buffers and flushes the headers apart from the body. The engine, the gateway and the client each
/// then wake more than once per request. On this project's 2-core bench (the <c>yarp</c> and <c>kestrel_client</c> lines
/// of <c>./scripts/bench gateway</c>), bare YARP cost 86–97 µs of CPU per request and a Kestrel handler calling the same
/// <see cref="SocketsHttpHandler"/> directly 69–72 µs, and the engine behind it cost less too. Streaming requests still
/// go through YARP, which passes each event on as it comes. The idle timeout is kept by <see cref="IdleDeadlines"/>,
/// without a timer per request.
///
/// What reaches the engine and the client matches the YARP path. The client's headers go to the engine, without
/// hop-by-hop headers, its API key, cookies and <c>Expect</c>, with the node's engine key and the request id. The
/// engine's headers come back without hop-by-hop headers and <c>Server</c>. Engine errors are rewritten in OpenAI's
/// shape. An answer over <see cref="MaxBufferedBytes"/>, or one of unknown length, is copied through as it arrives
/// rather than held.
/// </remarks>
internal sealed class EngineExchange(TimeSpan idleTimeout, TimeProvider time) : IDisposable
{
    /// <summary>Largest answer held in memory to be sent in one write (a long completion or a few embeddings).</summary>
    public const int MaxBufferedBytes = 1 << 20;

    private readonly IdleDeadlines _deadlines = new(idleTimeout, time);

    public async Task<AttemptResult> SendAsync(HttpMessageInvoker client, HttpContext context, ForwardingState state)
    {
        using var watch = _deadlines.Start(context.RequestAborted);
        using var message = new HttpRequestMessage(HttpMethod.Post, state.EngineUri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(state.Body),
        };
        EngineHeaders.CopyRequest(context.Request.Headers, message);
        EngineHeaders.AddGatewayHeaders(message.Headers, state);

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message, watch.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
        {
            return Failure(context, ex, AttemptError.Request);
        }

        using (response)
        {
            state.UpstreamStatus = (int)response.StatusCode;
            watch.Touch();
            try
            {
                if (state.UpstreamStatus >= 400)
                {
                    var error = await UpstreamErrors.ReadBodyAsync(response.Content, watch.Token).ConfigureAwait(false);
                    await UpstreamErrors.Translate(state.UpstreamStatus, error).WriteAsync(context.Response).ConfigureAwait(false);
                    return default;
                }

                var stream = await response.Content.ReadAsStreamAsync(watch.Token).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    return response.Content.Headers.ContentLength is { } length and <= MaxBufferedBytes
                        ? await AnswerWholeAsync(context, response, stream, (int)length, watch.Token).ConfigureAwait(false)
                        : await AnswerStreamedAsync(context, response, stream, watch).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
            {
                if (context.Response.HasStarted)
                {
                    // Part of the answer went out: the client must not take it for a whole one.
                    context.Abort();
                }

                return Failure(context, ex, AttemptError.ResponseBody);
            }
        }
    }

    public void Dispose() => _deadlines.Dispose();

    private static async Task<AttemptResult> AnswerWholeAsync(HttpContext context, HttpResponseMessage response, Stream body, int length, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            await body.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            StartAnswer(context, response);
            context.Response.ContentLength = length;
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, length), context.RequestAborted).ConfigureAwait(false);
            return new AttemptResult(AttemptError.None, null, TokenUsage.FindLast(buffer.AsSpan(0, length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<AttemptResult> AnswerStreamedAsync(HttpContext context, HttpResponseMessage response, Stream body, IdleDeadlines.Watch watch)
    {
        StartAnswer(context, response);
        if (response.Content.Headers.ContentLength is { } length)
        {
            context.Response.ContentLength = length;
        }

        using var tap = new ResponseTap(context.Response.Body, serverSentEvents: false, keepUsageChunk: true, time);
        var buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, watch.Token).ConfigureAwait(false)) > 0)
            {
                watch.Touch();
                await tap.WriteAsync(buffer.AsMemory(0, read), watch.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await tap.CompleteAsync(watch.Token).ConfigureAwait(false);
        return new AttemptResult(AttemptError.None, null, tap.Usage);
    }

    private static void StartAnswer(HttpContext context, HttpResponseMessage response)
    {
        context.Response.StatusCode = (int)response.StatusCode;
        EngineHeaders.CopyResponse(response.Headers, context.Response.Headers);
        EngineHeaders.CopyResponse(response.Content.Headers, context.Response.Headers);
    }

    private static AttemptResult Failure(HttpContext context, Exception ex, AttemptError otherwise)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return AttemptResult.Failed(AttemptError.Other, "the client went away");
        }

        if (AttemptResult.IsConnectFailure(ex))
        {
            return AttemptResult.Failed(AttemptError.Connect, $"{AttemptError.Connect}: {ex.Message}");
        }

        if (ex is OperationCanceledException)
        {
            return AttemptResult.Failed(otherwise == AttemptError.Request ? AttemptError.NoAnswerYet : AttemptError.Timeout, "no answer in time");
        }

        return AttemptResult.Failed(otherwise, $"{otherwise}: {ex.Message}");
    }
}
