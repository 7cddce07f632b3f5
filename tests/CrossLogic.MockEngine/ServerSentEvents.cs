using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CrossLogic.MockEngine;

/// <summary>Writes `data: {json}\n\n` events and flushes each one at once, closing with `data: [DONE]` as vLLM does.</summary>
internal sealed class ServerSentEvents(HttpResponse response)
{
    /// <summary>Sends the headers before the first token, like Starlette's StreamingResponse.</summary>
    public async Task StartAsync(CancellationToken aborted)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(aborted);
        await response.BodyWriter.FlushAsync(aborted); // StartAsync alone leaves the headers in Kestrel's buffer.
    }

    public async Task WriteAsync<T>(T chunk, JsonTypeInfo<T> type, CancellationToken aborted)
    {
        var writer = response.BodyWriter;
        writer.Write("data: "u8);
        using (var json = new Utf8JsonWriter(writer))
        {
            JsonSerializer.Serialize(json, chunk, type);
        }

        writer.Write("\n\n"u8);
        await writer.FlushAsync(aborted);
    }

    public async Task DoneAsync(CancellationToken aborted)
    {
        response.BodyWriter.Write("data: [DONE]\n\n"u8);
        await response.BodyWriter.FlushAsync(aborted);
    }
}
