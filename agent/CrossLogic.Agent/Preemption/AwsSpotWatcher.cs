using System.Globalization;
using System.Net;
using System.Text.Json;

namespace CrossLogic.Agent.Preemption;

/// <summary>
/// EC2 IMDSv2: a session token (`PUT /latest/api/token`, renewed on 401), then every poll
/// `spot/instance-action` (404: nothing scheduled; 200: `{"action","time"}`) and the rebalance recommendation.
/// Anything else — a 5xx, a timeout, a body that is not that JSON — is reported, never taken for a notice.
/// </summary>
internal sealed class AwsSpotWatcher(PreemptionOptions options, TimeProvider timeProvider) : IMetadataWatcher, IDisposable
{
    private const string TokenHeader = "X-aws-ec2-metadata-token";
    private static readonly string[] Actions = ["terminate", "stop", "hibernate"];
    private readonly HttpClient _http = MetadataHttp.Create(TimeSpan.FromMilliseconds(options.RequestTimeoutMs));
    private readonly Uri _base = new(options.AwsBaseUrl.TrimEnd('/') + "/");
    private string? _token;

    public string Cloud => "aws";

    /// <summary>Tokens fetched (tests: a 401 must lead to a new one).</summary>
    public int TokensFetched { get; private set; }

    public async Task<bool> DetectAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await FetchTokenAsync(timeout, cancellationToken).ConfigureAwait(false) is null;

    public async Task WatchAsync(INoticeSink sink, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(options.RequestTimeoutMs);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.PollIntervalMs), timeProvider);
        do
        {
            var error = await PollAsync(sink, "latest/meta-data/spot/instance-action", ParseInstanceAction, timeout, cancellationToken).ConfigureAwait(false)
                ?? await PollAsync(sink, "latest/meta-data/events/recommendations/rebalance", ParseRebalance, timeout, cancellationToken).ConfigureAwait(false);
            if (error is null)
            {
                sink.Available(Cloud);
            }
            else
            {
                sink.Unavailable(Cloud, error);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    public Task AcknowledgeAsync(CloudNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _http.Dispose();

    /// <summary>One GET: null when the answer was understood (notice or nothing), else what was wrong.</summary>
    private async Task<string?> PollAsync(INoticeSink sink, string path, Func<string, CloudNotice?> parse, TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (_token is null && await FetchTokenAsync(timeout, cancellationToken).ConfigureAwait(false) is { } tokenError)
            {
                return "token: " + tokenError;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, path));
            request.Headers.Add(TokenHeader, _token);
            var (response, error) = await MetadataHttp.SendAsync(_http, request, timeout, cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                return $"{path}: {error}";
            }

            using (response)
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.NotFound:
                        return null;
                    case HttpStatusCode.Unauthorized:
                        // The token expired (or the service restarted): a new one, then the same GET again.
                        _token = null;
                        continue;
                    case HttpStatusCode.OK:
                        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                        if (parse(body) is not { } notice)
                        {
                            return $"{path}: unexpected answer '{Excerpt(body)}'";
                        }

                        sink.Notice(notice);
                        return null;
                    default:
                        return $"{path}: {MetadataHttp.Describe(response.StatusCode)}";
                }
            }
        }

        return $"{path}: 401 again with a fresh token";
    }

    private async Task<string?> FetchTokenAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(_base, "latest/api/token"));
        request.Headers.Add("X-aws-ec2-metadata-token-ttl-seconds", "21600");
        var (response, error) = await MetadataHttp.SendAsync(_http, request, timeout, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return error;
        }

        using (response)
        {
            var token = response.IsSuccessStatusCode ? (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim() : "";
            if (token.Length is 0 or > 512 || token.Any(char.IsWhiteSpace))
            {
                return response.IsSuccessStatusCode ? "empty or malformed token" : MetadataHttp.Describe(response.StatusCode);
            }

            _token = token;
            TokensFetched++;
            return null;
        }
    }

    /// <summary>`{"action": "terminate", "time": "2026-11-23T08:22:00Z"}`; null for anything else.</summary>
    internal static CloudNotice? ParseInstanceAction(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("action", out var action) && action.ValueKind == JsonValueKind.String
                && Actions.Contains(action.GetString())
                && json.RootElement.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var deadline))
            {
                return new CloudNotice("aws", NoticeKind.Preemption, action.GetString()!, deadline, "aws-instance-action-" + time.GetString());
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>`{"noticeTime": "…"}`; null for anything else.</summary>
    internal static CloudNotice? ParseRebalance(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("noticeTime", out var time) && time.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return new CloudNotice("aws", NoticeKind.Rebalance, "rebalance", at, "aws-rebalance-" + time.GetString());
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    internal static string Excerpt(string body) => body.Length > 80 ? body[..80] + "…" : body;
}
