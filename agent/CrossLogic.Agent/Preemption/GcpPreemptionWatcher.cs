using System.Globalization;
using System.Net;

namespace CrossLogic.Agent.Preemption;

/// <summary>
/// GCE metadata: `instance/preempted` (`TRUE`/`FALSE`) and `instance/maintenance-event`, each through a hanging GET
/// (`wait_for_change=true` with the previous answer's ETag as `last_etag`, so no change between two requests is
/// missed). Every request carries `Metadata-Flavor: Google`, and an answer without that header is not GCP's.
/// </summary>
internal sealed class GcpPreemptionWatcher(PreemptionOptions options, TimeProvider timeProvider) : IMetadataWatcher, IDisposable
{
    private const string Flavor = "Metadata-Flavor";
    private static readonly string[] MaintenanceValues = ["NONE", "MIGRATE_ON_HOST_MAINTENANCE", "TERMINATE_ON_HOST_MAINTENANCE"];
    private readonly HttpClient _http = MetadataHttp.Create(TimeSpan.FromMilliseconds(options.RequestTimeoutMs));
    private readonly Uri _base = new(options.GcpBaseUrl.TrimEnd('/') + "/computeMetadata/v1/");

    public string Cloud => "gcp";

    public async Task<bool> DetectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (value, _, error) = await GetAsync("instance/id", null, timeout, cancellationToken).ConfigureAwait(false);
        return error is null && value.Length > 0;
    }

    public Task WatchAsync(INoticeSink sink, CancellationToken cancellationToken) => Task.WhenAll(
        WatchValueAsync(sink, "instance/preempted", value => value switch
        {
            "TRUE" => new CloudNotice(Cloud, NoticeKind.Preemption, "preempted",
                timeProvider.GetUtcNow().AddSeconds(options.DefaultNoticeSeconds), "gcp-preempted"),
            "FALSE" => null,
            _ => throw new FormatException(value),
        }, cancellationToken),
        WatchValueAsync(sink, "instance/maintenance-event", value => value switch
        {
            "NONE" => null,
            _ when MaintenanceValues.Contains(value) => new CloudNotice(Cloud,
                value == "TERMINATE_ON_HOST_MAINTENANCE" ? NoticeKind.Preemption : NoticeKind.Maintenance, value,
                timeProvider.GetUtcNow().AddSeconds(options.DefaultNoticeSeconds), "gcp-maintenance-" + value),
            _ => throw new FormatException(value),
        }, cancellationToken));

    public Task AcknowledgeAsync(CloudNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _http.Dispose();

    private async Task WatchValueAsync(INoticeSink sink, string path, Func<string, CloudNotice?> interpret, CancellationToken cancellationToken)
    {
        string? etag = null;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            // The first request (and the one after a failure) reads the value at once; then hang until it changes.
            var wait = etag is null ? TimeSpan.FromMilliseconds(options.RequestTimeoutMs) : TimeSpan.FromSeconds(options.GcpWaitTimeoutSeconds + 5);
            var (value, newEtag, error) = await GetAsync(path, etag, wait, cancellationToken).ConfigureAwait(false);
            if (error is null)
            {
                try
                {
                    if (interpret(value) is { } notice)
                    {
                        sink.Notice(notice);
                    }

                    sink.Available(Cloud);
                    etag = newEtag;
                    failures = 0;
                    continue;
                }
                catch (FormatException)
                {
                    error = $"unexpected value '{AwsSpotWatcher.Excerpt(value)}'";
                }
            }

            sink.Unavailable(Cloud, $"{path}: {error}");
            etag = null;
            failures++;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(options.PollIntervalMs * failures, 10_000)), timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(string Value, string? ETag, string? Error)> GetAsync(string path, string? lastEtag, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var query = lastEtag is null ? "" : string.Create(CultureInfo.InvariantCulture,
            $"?wait_for_change=true&timeout_sec={options.GcpWaitTimeoutSeconds}&last_etag={Uri.EscapeDataString(lastEtag)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, path + query));
        request.Headers.Add(Flavor, "Google");
        var (response, error) = await MetadataHttp.SendAsync(_http, request, timeout, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return ("", null, error);
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return ("", null, MetadataHttp.Describe(response.StatusCode));
            }

            if (!response.Headers.TryGetValues(Flavor, out var flavor) || !flavor.Contains("Google"))
            {
                return ("", null, "answer without Metadata-Flavor: Google");
            }

            var value = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            var etag = response.Headers.ETag?.Tag.Trim('"') ?? (response.Headers.TryGetValues("ETag", out var raw) ? raw.FirstOrDefault() : null);
            return (value, etag ?? "", null);
        }
    }
}
