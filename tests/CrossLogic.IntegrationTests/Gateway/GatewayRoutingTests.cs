using System.Globalization;
using System.Net;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Gateway;

/// <summary>Where requests go: spread, slow replicas, affinity, failures, drains and client disconnects.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayRoutingTests(GatewayCluster cluster)
{
    [Fact]
    public async Task Uniform_load_is_spread_across_replicas_within_ten_percent()
    {
        var (key, keyId) = await cluster.ControlPlane.CreateApiKeyAsync("spread");
        const int Requests = 300;

        // The same load first under another key, not counted, so that both engines, their agents and the gateway's path
        // to each are past their first, JIT-compiling requests. Run first in a full suite, the split went 131 / 169
        // once, likely one engine warming up later than the other (least outstanding rightly sends a slower one less).
        var (warmUp, _) = await cluster.ControlPlane.CreateApiKeyAsync("spread-warm-up");
        await SendAsync(warmUp, GatewayCluster.Model, 100, concurrency: 6, i => $"warm-up {i}", maxTokens: 4);

        // Distinct prompts: no affinity, so the spread is the balancer's. Four tokens take the engine 20 ms: a request
        // lasts long enough that a replica briefly starved of CPU on a busy test machine (which least-outstanding
        // rightly sends less) does not pass for an uneven balancer.
        await SendAsync(key, GatewayCluster.Model, Requests, concurrency: 6, i => $"request {i}", maxTokens: 4);

        var usage = await cluster.UsageAsync("spread", Requests, keyId);
        var perNode = usage.Rows.GroupBy(r => r.NodeId).Select(g => g.Sum(r => r.Requests)).ToList();
        Assert.Equal(2, perNode.Count);
        var mean = Requests / 2.0;
        Assert.All(perNode, count => Assert.InRange(count, mean * 0.9, mean * 1.1));
    }

    [Fact]
    public async Task A_slow_replica_receives_less()
    {
        const string Model = "mixed-speed";
        var (fast, _, _) = await cluster.StartNodeAsync(Model, new Dictionary<string, string> { ["MOCK_ENGINE_TOKENS_PER_SECOND"] = "2000" });
        var (slow, _, _) = await cluster.StartNodeAsync(Model, new Dictionary<string, string> { ["MOCK_ENGINE_TOKENS_PER_SECOND"] = "100" });
        await cluster.WaitRoutedAsync(Model);
        var (key, keyId) = await cluster.ControlPlane.CreateApiKeyAsync("speeds");

        await SendAsync(key, Model, 80, concurrency: 4, i => $"r{i}", maxTokens: 10);

        var usage = await cluster.UsageAsync("speeds", 80, keyId);
        long Count(string node) => usage.Rows.Where(r => r.NodeId == node).Sum(r => r.Requests);
        Assert.True(Count(slow) * 2 < Count(fast), $"slow {Count(slow)} vs fast {Count(fast)}");
    }

    [Fact]
    public async Task Requests_sharing_a_prompt_prefix_go_to_the_same_replica()
    {
        var (key, keyId) = await cluster.ControlPlane.CreateApiKeyAsync("affinity");
        var system = "You are a helpful assistant for the Example Corp knowledge base. " + new string('k', 300);

        for (var i = 0; i < 20; i++)
        {
            using var http = cluster.Http(key);
            using var response = await http.PostAsync("chat/completions", GatewayCluster.Json(
                $$"""{"model":"{{GatewayCluster.Model}}","messages":[{"role":"system","content":"{{system}}"},{"role":"user","content":"question {{i}}"}],"max_tokens":1}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var usage = await cluster.UsageAsync("affinity", 20, keyId);
        Assert.Single(usage.Rows.Select(r => r.NodeId).Distinct());
    }

    [Fact]
    public async Task A_replica_that_refuses_connections_is_retried_elsewhere_then_ejected_and_reported()
    {
        const string Model = "half-broken";
        await cluster.StartNodeAsync(Model);
        // The provisioner recorded a port nothing listens on: every connect to this replica fails.
        var (broken, _, _) = await cluster.StartNodeAsync(Model, registeredPort: FreePort.Next());
        await cluster.WaitRoutedAsync(Model);
        var (key, _) = await cluster.ControlPlane.CreateApiKeyAsync("retries");

        var statuses = await SendAsync(key, Model, 30, concurrency: 1, i => $"q{i}");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        await Eventually.TrueAsync(
            async () => (await cluster.ControlPlane.EventsAsync(broken)).Any(e => e.Kind == "GATEWAY_EJECTED"),
            TimeSpan.FromSeconds(10),
            "ejection recorded as a node event");
    }

    [Fact]
    public async Task A_drained_node_leaves_routing_at_once_and_a_killed_agent_within_milliseconds()
    {
        const string Model = "drain-model";
        var (drained, _, _) = await cluster.StartNodeAsync(Model);
        var (killed, _, killedAgent) = await cluster.StartNodeAsync(Model);
        var (survivor, _, _) = await cluster.StartNodeAsync(Model);
        await cluster.WaitRoutedAsync(Model);
        var (key, keyId) = await cluster.ControlPlane.CreateApiKeyAsync("drains");

        await cluster.ControlPlane.Fleet.DrainNodeAsync(new DrainNodeRequest { Name = "nodes/" + drained });
        killedAgent.Process.Kill();
        await Eventually.TrueAsync(async () => !(await cluster.ControlPlane.GetNodeAsync(killed)).Connected, TimeSpan.FromSeconds(5), "killed agent seen");
        var statuses = await SendAsync(key, Model, 20, concurrency: 2, i => $"d{i}");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var usage = await cluster.UsageAsync("drains", 20, keyId);
        // The killed agent's engine dies with it (pdeathsig); any request it took would have failed above.
        Assert.Equal([survivor], usage.Rows.Select(r => r.NodeId).Distinct());
    }

    [Fact]
    public async Task A_client_that_disconnects_cancels_the_request_on_the_engine_and_is_billed_for_what_it_got()
    {
        const string Model = "cancel-model";
        var (_, port, _) = await cluster.StartNodeAsync(Model, new Dictionary<string, string> { ["MOCK_ENGINE_TOKENS_PER_SECOND"] = "20" });
        await cluster.WaitRoutedAsync(Model);
        var (key, keyId) = await cluster.ControlPlane.CreateApiKeyAsync("cancelled");
        using var http = cluster.Http(key);
        using var cancel = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
        {
            Content = GatewayCluster.Json($$"""{"model":"{{Model}}","messages":[{"role":"user","content":"long"}],"max_tokens":500,"stream":true}"""),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        var contentChunks = 0;
        while (contentChunks < 4 && await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            // The client did not ask for usage: no chunk it sees carries any.
            Assert.DoesNotContain("usage", line, StringComparison.Ordinal);
            contentChunks += line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"content\":\"\"", StringComparison.Ordinal) ? 1 : 0;
        }

        Assert.Equal(1, await RunningAsync(port));

        await cancel.CancelAsync();
        response.Dispose();

        await Eventually.TrueAsync(async () => await RunningAsync(port) == 0, TimeSpan.FromSeconds(5), "engine request aborted");
        // The stream never reached its usage chunk; the usage of the last chunk the gateway passed on is billed.
        var usage = await cluster.UsageAsync("cancelled", 1, keyId);
        Assert.InRange(usage.CompletionTokens, 4, 499);
        Assert.True(usage.PromptTokens > 0, $"prompt tokens {usage.PromptTokens}");
    }

    /// <summary>`vllm:num_requests_running` of a mock engine (its /metrics is open, like vLLM's).</summary>
    private static async Task<double> RunningAsync(int port)
    {
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        var line = metrics.Split('\n').First(l => l.StartsWith("vllm:num_requests_running{", StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private async Task<List<HttpStatusCode>> SendAsync(string key, string model, int count, int concurrency, Func<int, string> prompt, int maxTokens = 1)
    {
        var statuses = new List<HttpStatusCode>();
        var next = -1;
        using var http = cluster.Http(key);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var response = await http.PostAsync("chat/completions", GatewayCluster.Json(
                    $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{prompt(i)}}"}],"max_tokens":{{maxTokens}}}"""));
                lock (statuses)
                {
                    statuses.Add(response.StatusCode);
                }
            }
        }));
        return statuses;
    }
}
