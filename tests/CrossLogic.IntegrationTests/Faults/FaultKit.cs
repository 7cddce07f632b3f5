using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Faults;

/// <summary>
/// What the fault suite measures with: the moments routing changed (the control plane's ROUTING_IN/ROUTING_OUT
/// events, stamped when the change took effect), the moments engines received requests (the mock engine's log), the
/// figures printed as `key: value` (and appended to $CROSSLOGIC_FAULT_FIGURES for `./scripts/bench faults`).
/// </summary>
internal static partial class FaultKit
{
    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static void Figure(string key, string value)
    {
        var line = $"{key}: {value}";
        Console.WriteLine(line);
        if (Environment.GetEnvironmentVariable("CROSSLOGIC_FAULT_FIGURES") is { Length: > 0 } path)
        {
            File.AppendAllText(path, line + "\n");
        }
    }

    /// <summary>Routing changes of a node, oldest first: (routed, at unix ms).</summary>
    public static async Task<List<(bool Routed, long At)>> RoutingAsync(ControlPlaneProcess controlPlane, string nodeId) =>
        [.. (await controlPlane.EventsAsync(nodeId)).Reverse()
            .Where(e => e.Kind is "ROUTING_IN" or "ROUTING_OUT")
            .Select(e => (e.Kind == "ROUTING_IN", long.Parse(e.Detail["at_unix_ms"], CultureInfo.InvariantCulture)))];

    /// <summary>Waits for the node's first ROUTING_OUT at or after <paramref name="sinceMs"/>; returns its moment.</summary>
    public static async Task<long> WaitOutAsync(ControlPlaneProcess controlPlane, string nodeId, long sinceMs, TimeSpan timeout)
    {
        // The control plane stamps the moment itself; asking at once would only compete with it for the CPU while it
        // reacts, and measure the test as much as the product.
        await Task.Delay(250);
        long at = 0;
        await Eventually.TrueAsync(async () =>
        {
            at = (await RoutingAsync(controlPlane, nodeId)).Where(r => !r.Routed && r.At >= sinceMs).Select(r => r.At).FirstOrDefault();
            return at > 0;
        }, timeout, $"{nodeId} out of routing", pollMs: 50);
        return at;
    }

    public static async Task WaitRoutedAsync(ControlPlaneProcess controlPlane, string nodeId, TimeSpan timeout) =>
        await Eventually.TrueAsync(async () => (await RoutingAsync(controlPlane, nodeId)) is { Count: > 0 } changes && changes[^1].Routed, timeout, $"{nodeId} routed", pollMs: 50);

    /// <summary>When an engine received each inference request (POST; the agent's own readiness checks are GETs), from
    /// the mock engine's log lines.</summary>
    public static IReadOnlyList<long> Arrivals(string engineLog)
    {
        using var stream = new FileStream(engineLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return [.. ArrivedPattern().Matches(reader.ReadToEnd()).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
    }

    /// <summary>
    /// Requests that reached the engine after the node was marked out. A request the gateway let through just before
    /// the mark still has to be written, read and handed to the engine's handler, where the arrival is stamped; on a
    /// 2-core box running other test processes any of those steps can wait out a scheduler slice or several. Anything
    /// within <paramref name="toleranceMs"/> of the mark was under way already. A node that stayed routed would keep
    /// receiving its share of the load (about 80 requests/s across the nodes) for the rest of the test, tens of
    /// requests, so the tolerance hides no leak.
    /// </summary>
    public static int ArrivalsAfter(string engineLog, long outAt, long untilMs = long.MaxValue, long toleranceMs = 50) =>
        Arrivals(engineLog).Count(a => a > outAt + toleranceMs && a < untilMs);

    /// <summary>For a failure message: when each request after the mark arrived, in ms after it.</summary>
    public static string ArrivalsAfterMark(string engineLog, long outAt) =>
        string.Join(", ", Arrivals(engineLog).Where(a => a > outAt).Select(a => $"+{a - outAt} ms"));

    /// <summary>A local cluster's engine log, where it ran or where its teardown moved it (`NAME.terminated-…`).</summary>
    public static string LocalEngineLog(LocalClusters clusters, string clusterName)
    {
        var live = Path.Combine(clusters.Directory, clusterName, "engine.log");
        return File.Exists(live)
            ? live
            : Directory.EnumerateDirectories(clusters.Directory, clusterName + ".terminated-*").Select(d => Path.Combine(d, "engine.log")).FirstOrDefault(File.Exists)
              ?? throw new FileNotFoundException($"no engine log of {clusterName} in {clusters.Directory}");
    }

    [GeneratedRegex(@"""POST [^\n]*arrived_unix_ms=(\d+)")]
    private static partial Regex ArrivedPattern();
}

/// <summary>Requests flowing through the gateway for one model while a fault happens: how many, and how they ended.</summary>
internal sealed class GatewayLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private int _ok;
    private int _failed;

    /// <param name="pauseMs">Between one worker's requests: 2 workers with 20 ms pauses keep about 80 requests/s flowing,
    /// load without starving the processes under test of this 2-core machine's CPU.</param>
    public GatewayLoad(string gatewayUrl, string key, string model, int concurrency = 2, int maxTokens = 1, int pauseMs = 20)
    {
        _workers = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await http.PostAsync(gatewayUrl + "/chat/completions", new StringContent(
                        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"load {{Guid.NewGuid():N}}"}],"max_tokens":{{maxTokens}}}""",
                        Encoding.UTF8, "application/json"), _stop.Token);
                    Interlocked.Increment(ref response.IsSuccessStatusCode ? ref _ok : ref _failed);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref _failed);
                }

                await Task.Delay(pauseMs);
            }
        }))];
    }

    public int Ok => Volatile.Read(ref _ok);

    public int Failed => Volatile.Read(ref _failed);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers).ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
