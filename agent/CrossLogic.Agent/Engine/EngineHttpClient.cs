using System.Net.Http.Headers;
using System.Text.Json;

namespace CrossLogic.Agent.Engine;

/// <summary>Talks to the engine's own HTTP API on loopback: /health, /v1/models, /metrics.</summary>
internal sealed class EngineHttpClient : IDisposable
{
    private readonly HttpClient _http;

    public EngineHttpClient(int port, string? apiKey)
    {
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(3) };
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    /// <summary>True when /health answers 200 (connection refused while loading is an expected false).</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("/health", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>True when /v1/models lists <paramref name="servedModelName"/>.</summary>
    public async Task<bool> ServesModelAsync(string servedModelName, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("/v1/models", cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            return json.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array &&
                data.EnumerateArray().Any(m => m.TryGetProperty("id", out var id) && id.GetString() == servedModelName);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The load gauges, or null when /metrics does not answer.</summary>
    public async Task<EngineLoad?> ScrapeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var text = await _http.GetStringAsync("/metrics", cancellationToken).ConfigureAwait(false);
            return EngineLoad.Parse(text);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
