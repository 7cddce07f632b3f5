using System.Buffers;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Sits between the forwarder and the client's response body. Bytes pass straight through (each server-sent event is
/// written and flushed as soon as it is complete, never buffered further); on the way the tap reads the usage the
/// engine reported (the last seen: every chunk carries it when the gateway asked for continuous usage), drops the
/// usage-only chunk of a stream when the client did not ask for it, and takes usage out of the other chunks when the
/// client did not ask for that (<see cref="ChunkUsage"/>). Its buffer is pooled: dispose the tap when the request is
/// done.
/// </summary>
internal sealed class ResponseTap(Stream inner, bool serverSentEvents, bool keepUsageChunk, TimeProvider time, bool keepUsageInChunks = true) : Stream
{
    private const int TailSize = 8192;
    private const int MaxPendingEvent = 4 << 20;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(serverSentEvents ? 4096 : TailSize);
    private int _length;

    public TokenUsage? Usage { get; private set; }

    /// <summary>When the first byte went to the client (a <see cref="TimeProvider"/> timestamp), or 0.</summary>
    public long FirstByteTimestamp { get; private set; }

    public long BytesWritten { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!serverSentEvents)
        {
            KeepTail(buffer.Span);
            await PassAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        Append(buffer.Span);
        var consumed = 0;
        var keptFrom = 0;
        while (NextEventEnd(_buffer.AsSpan(consumed, _length - consumed)) is var end and > 0)
        {
            var action = InspectEvent(_buffer.AsSpan(consumed, end));
            if (action == EventAction.Pass)
            {
                consumed += end;
                continue;
            }

            // Drop or rewrite this event: send what was kept before it, then its replacement, if any.
            if (consumed > keptFrom)
            {
                await PassAsync(_buffer.AsMemory(keptFrom, consumed - keptFrom), cancellationToken).ConfigureAwait(false);
            }

            if (action == EventAction.StripUsage)
            {
                // An event whose usage cannot be cut out cleanly goes as it came: a stray field beats a lost token.
                var stripped = ChunkUsage.Without(_buffer.AsSpan(consumed, end));
                await PassAsync(stripped ?? _buffer.AsMemory(consumed, end), cancellationToken).ConfigureAwait(false);
            }

            consumed += end;
            keptFrom = consumed;
        }

        if (consumed > keptFrom)
        {
            await PassAsync(_buffer.AsMemory(keptFrom, consumed - keptFrom), cancellationToken).ConfigureAwait(false);
        }

        _buffer.AsSpan(consumed, _length - consumed).CopyTo(_buffer);
        _length -= consumed;
        if (_length > MaxPendingEvent)
        {
            // Not server-sent events after all: stop inspecting and pass everything on.
            await PassAsync(_buffer.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
            _length = 0;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    /// <summary>After the upstream body ended: sends an unterminated last event, and reads usage from a JSON body.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (serverSentEvents)
        {
            if (_length > 0)
            {
                await PassAsync(_buffer.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
                _length = 0;
            }

            return;
        }

        Usage = TokenUsage.FindLast(_buffer.AsSpan(0, _length));
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async ValueTask PassAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (FirstByteTimestamp == 0 && bytes.Length > 0)
        {
            FirstByteTimestamp = time.GetTimestamp();
        }

        BytesWritten += bytes.Length;
        await inner.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads usage from an event, and says what the client gets of it.</summary>
    private EventAction InspectEvent(ReadOnlySpan<byte> eventBytes)
    {
        if (eventBytes.IndexOf("\"usage\""u8) < 0 || TokenUsage.FindLast(eventBytes) is not { } usage)
        {
            return EventAction.Pass;
        }

        Usage = usage;
        if (eventBytes.IndexOf("\"choices\":[]"u8) >= 0)
        {
            return keepUsageChunk ? EventAction.Pass : EventAction.Drop;
        }

        return keepUsageInChunks ? EventAction.Pass : EventAction.StripUsage;
    }

    /// <summary>Length of the first complete event (through its blank line), or 0.</summary>
    private static int NextEventEnd(ReadOnlySpan<byte> data)
    {
        var lf = data.IndexOf("\n\n"u8);
        var crlf = data.IndexOf("\r\n\r\n"u8);
        return (lf, crlf) switch
        {
            (< 0, < 0) => 0,
            (>= 0, < 0) => lf + 2,
            (< 0, >= 0) => crlf + 4,
            _ => Math.Min(lf + 2, crlf + 4),
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            _length = 0;
        }

        base.Dispose(disposing);
    }

    private enum EventAction
    {
        Pass,
        Drop,
        StripUsage,
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_length + bytes.Length > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes.Length));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void KeepTail(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= TailSize)
        {
            bytes[^TailSize..].CopyTo(_buffer);
            _length = TailSize;
            return;
        }

        var keep = Math.Min(_length, TailSize - bytes.Length);
        _buffer.AsSpan(_length - keep, keep).CopyTo(_buffer);
        bytes.CopyTo(_buffer.AsSpan(keep));
        _length = keep + bytes.Length;
    }
}
