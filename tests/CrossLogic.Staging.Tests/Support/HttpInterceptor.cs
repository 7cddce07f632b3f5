using Amazon.Runtime;

namespace CrossLogic.Staging.Tests.Support;

/// <summary>
/// Puts a hook between the S3 client and the network, to count requests and inject faults: a 503, a body that breaks
/// half-way, an object replaced between two ranged GETs, a cancellation at a chosen request.
/// </summary>
public sealed class HttpInterceptor : HttpClientFactory
{
    private readonly HttpClient _client;

    public HttpInterceptor(Func<HttpRequestMessage, Func<Task<HttpResponseMessage>>, Task<HttpResponseMessage>> intercept) =>
        _client = new HttpClient(new Hook(intercept) { InnerHandler = new SocketsHttpHandler() }) { Timeout = Timeout.InfiniteTimeSpan };

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => _client;

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public static bool IsRangedGet(HttpRequestMessage request) => request.Method == HttpMethod.Get && request.Headers.Range is not null;

    /// <summary>The object key a path-style request is for (without the bucket).</summary>
    public static string Key(HttpRequestMessage request)
    {
        var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath).TrimStart('/');
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : path[(slash + 1)..];
    }

    /// <summary>The response with its body replaced by one that throws after <paramref name="bytes"/> bytes (a connection reset).</summary>
    public static async Task<HttpResponseMessage> BreakBodyAfter(HttpResponseMessage response, int bytes)
    {
        var original = response.Content;
        var broken = new StreamContent(new BreakingStream(await original.ReadAsStreamAsync(), bytes));
        foreach (var header in original.Headers)
        {
            broken.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = broken;
        return response;
    }

    /// <summary>The response with its body trickling: at most <paramref name="bytes"/> per read, after <paramref name="delay"/>.</summary>
    public static async Task<HttpResponseMessage> Trickle(HttpResponseMessage response, int bytes, TimeSpan delay)
    {
        var original = response.Content;
        var slow = new StreamContent(new TricklingStream(await original.ReadAsStreamAsync(), bytes, delay));
        foreach (var header in original.Headers)
        {
            slow.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = slow;
        return response;
    }

    private sealed class TricklingStream(Stream inner, int bytes, TimeSpan delay) : BreakingStream(inner, int.MaxValue)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(delay, cancellationToken);
            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, bytes)], cancellationToken);
        }
    }

    private sealed class Hook(Func<HttpRequestMessage, Func<Task<HttpResponseMessage>>, Task<HttpResponseMessage>> intercept) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            intercept(request, () => base.SendAsync(request, cancellationToken));
    }

    private class BreakingStream(Stream inner, int bytes) : Stream
    {
        private int _left = bytes;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0)
            {
                throw new IOException("Connection reset by peer (injected).");
            }

            var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, _left)], cancellationToken);
            _left -= read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
