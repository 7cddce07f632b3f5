using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace CrossLogic.Agent.Preemption;

/// <summary>
/// Azure Scheduled Events (`/metadata/scheduledevents?api-version=2020-07-01`, header `Metadata: true`), polled. A
/// `Preempt` (spot eviction) or `Terminate` event is a preemption with its `NotBefore` as deadline; `Reboot`,
/// `Redeploy` and `Freeze` are maintenance. Once drained, the agent acknowledges with `StartRequests` so the platform
/// proceeds early.
/// </summary>
internal sealed class AzureScheduledEventsWatcher(PreemptionOptions options, TimeProvider timeProvider) : IMetadataWatcher, IDisposable
{
    private const string ApiVersion = "2020-07-01";
    private readonly HttpClient _http = MetadataHttp.Create(TimeSpan.FromMilliseconds(options.RequestTimeoutMs));
    private readonly Uri _events = new(options.AzureBaseUrl.TrimEnd('/') + "/metadata/scheduledevents?api-version=" + ApiVersion);
    private readonly Uri _instance = new(options.AzureBaseUrl.TrimEnd('/') + "/metadata/instance?api-version=2021-02-01");

    public string Cloud => "azure";

    public async Task<bool> DetectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _instance);
        request.Headers.Add("Metadata", "true");
        var (response, _) = await MetadataHttp.SendAsync(_http, request, timeout, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            return response is { StatusCode: HttpStatusCode.OK }
                && (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Contains("\"compute\"", StringComparison.Ordinal);
        }
    }

    public async Task WatchAsync(INoticeSink sink, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(options.RequestTimeoutMs);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.PollIntervalMs), timeProvider);
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _events);
            request.Headers.Add("Metadata", "true");
            var (response, error) = await MetadataHttp.SendAsync(_http, request, timeout, cancellationToken).ConfigureAwait(false);
            using (response)
            {
                if (response is null || response.StatusCode != HttpStatusCode.OK)
                {
                    sink.Unavailable(Cloud, error ?? MetadataHttp.Describe(response!.StatusCode));
                    continue;
                }

                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (Parse(body, timeProvider.GetUtcNow(), options.DefaultNoticeSeconds) is not { } notices)
                {
                    sink.Unavailable(Cloud, $"unexpected answer '{AwsSpotWatcher.Excerpt(body)}'");
                    continue;
                }

                foreach (var notice in notices)
                {
                    sink.Notice(notice);
                }

                sink.Available(Cloud);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task AcknowledgeAsync(CloudNotice notice, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _events);
        request.Headers.Add("Metadata", "true");
        // The event id came from the service and was checked to be a GUID: no escaping needed.
        request.Content = new StringContent($$"""{"StartRequests":[{"EventId":"{{notice.EventId}}"}]}""", Encoding.UTF8, "application/json");
        var (response, error) = await MetadataHttp.SendAsync(_http, request, TimeSpan.FromMilliseconds(options.RequestTimeoutMs), cancellationToken).ConfigureAwait(false);
        using (response)
        {
            if (response is null || !response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"acknowledging {notice.EventId}: {error ?? MetadataHttp.Describe(response!.StatusCode)}");
            }
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The document's notices; null when it is not a Scheduled Events document.</summary>
    internal static IReadOnlyList<CloudNotice>? Parse(string body, DateTimeOffset now, int defaultNoticeSeconds)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("DocumentIncarnation", out _)
                || !root.TryGetProperty("Events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var notices = new List<CloudNotice>();
            foreach (var e in events.EnumerateArray())
            {
                var id = e.TryGetProperty("EventId", out var idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString() ?? "" : "";
                var type = e.TryGetProperty("EventType", out var typeValue) && typeValue.ValueKind == JsonValueKind.String ? typeValue.GetString() ?? "" : "";
                if (!Guid.TryParse(id, out _))
                {
                    return null;
                }

                var deadline = e.TryGetProperty("NotBefore", out var notBefore) && notBefore.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(notBefore.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                    ? at : now.AddSeconds(defaultNoticeSeconds);
                var kind = type switch
                {
                    "Preempt" or "Terminate" => NoticeKind.Preemption,
                    "Reboot" or "Redeploy" or "Freeze" => NoticeKind.Maintenance,
                    _ => (NoticeKind?)null,
                };
                if (kind is { } k)
                {
                    notices.Add(new CloudNotice("azure", k, type, deadline, id));
                }
            }

            return notices;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
