using System.Net;

namespace CrossLogic.Agent.Preemption;

/// <summary>The HTTP client for metadata services: direct (never through a proxy), short timeouts, no redirects.</summary>
internal static class MetadataHttp
{
    public static HttpClient Create(TimeSpan requestTimeout) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = requestTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Sends with a per-request timeout; null (with the reason) when the service did not answer in time.</summary>
    public static async Task<(HttpResponseMessage? Response, string? Error)> SendAsync(HttpClient http, HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return (await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.Message);
        }
    }

    public static string Describe(HttpStatusCode status) => $"HTTP {(int)status}";
}
