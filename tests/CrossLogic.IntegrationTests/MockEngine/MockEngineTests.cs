using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.MockEngine;

/// <summary>The mock engine speaks vLLM's HTTP API faithfully enough to stand in for it (see shared/data/vllm).</summary>
public sealed class MockEngineTests : IAsyncLifetime
{
    private readonly int _port = FreePort.Next();
    private readonly HttpClient _http = new();
    private ChildProcess _engine = null!;

    private string Url => $"http://127.0.0.1:{_port}";

    public async Task InitializeAsync()
    {
        _engine = ChildProcess.Start("dotnet", [RepoPaths.MockEngineDll, "serve", "/models/llama", "--served-model-name", "llama", "--port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-model-len", "2048", "--api-key", "engine-key", "--enable-prefix-caching"],
            new Dictionary<string, string> { ["MOCK_ENGINE_TOKENS_PER_SECOND"] = "50" });
        await _engine.WaitForOutputAsync("mock engine serving llama", TimeSpan.FromSeconds(20));
        _http.DefaultRequestHeaders.Authorization = new("Bearer", "engine-key");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _engine.DisposeAsync();
    }

    [Fact]
    public async Task Health_and_models_answer_like_vllm()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(Url + "/health")).StatusCode);
        using var models = JsonDocument.Parse(await _http.GetStringAsync(Url + "/v1/models"));
        var model = models.RootElement.GetProperty("data")[0];
        Assert.Equal("list", models.RootElement.GetProperty("object").GetString());
        Assert.Equal("llama", model.GetProperty("id").GetString());
        Assert.Equal("vllm", model.GetProperty("owned_by").GetString());
        Assert.Equal(2048, model.GetProperty("max_model_len").GetInt32());
    }

    [Fact]
    public async Task Without_the_api_key_inference_is_refused_but_health_and_metrics_stay_open()
    {
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Url + "/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(Url + "/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(Url + "/metrics")).StatusCode);
    }

    [Fact]
    public async Task A_chat_completion_carries_usage_in_a_body_of_declared_length()
    {
        using var response = await PostAsync("/v1/chat/completions", """{"model":"llama","messages":[{"role":"user","content":"say three words"}],"max_tokens":5}""");
        var text = await response.Content.ReadAsStringAsync();

        // Framed as Starlette's JSONResponse frames it, so proxies in front see production's framing.
        Assert.Equal(Encoding.UTF8.GetByteCount(text), response.Content.Headers.ContentLength);
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal("assistant", root.GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(5, root.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(3, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_sends_chunks_as_they_are_generated_with_usage_last_when_asked()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url + "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"llama","messages":[{"role":"user","content":"hi"}],"max_tokens":10,"stream":true,"stream_options":{"include_usage":true}}""", Encoding.UTF8, "application/json"),
        };
        var watch = Stopwatch.StartNew();
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var arrivals = new List<(TimeSpan At, string Data)>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                arrivals.Add((watch.Elapsed, line[6..]));
            }
        }

        Assert.Equal("[DONE]", arrivals[^1].Data);
        using var usage = JsonDocument.Parse(arrivals[^2].Data);
        Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
        Assert.Equal(10, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        // 10 tokens at 50/s: the chunks are spread over ~200 ms, not delivered at once at the end.
        Assert.True(arrivals[^3].At - arrivals[0].At > TimeSpan.FromMilliseconds(100), string.Join(", ", arrivals.Select(a => a.At.TotalMilliseconds)));
    }

    [Fact]
    public async Task Completions_and_embeddings_have_openai_shapes()
    {
        using var completion = JsonDocument.Parse(await (await PostAsync("/v1/completions", """{"model":"llama","prompt":"once upon","max_tokens":3}""")).Content.ReadAsStringAsync());
        Assert.Equal("text_completion", completion.RootElement.GetProperty("object").GetString());
        Assert.Equal("token0 token1 token2", completion.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());

        using var embedding = JsonDocument.Parse(await (await PostAsync("/v1/embeddings", """{"model":"llama","input":["a","b"]}""")).Content.ReadAsStringAsync());
        Assert.Equal(2, embedding.RootElement.GetProperty("data").GetArrayLength());
        Assert.True(embedding.RootElement.GetProperty("data")[1].GetProperty("embedding").GetArrayLength() > 0);
    }

    [Fact]
    public async Task Errors_use_vllms_shape()
    {
        using var unknown = await PostAsync("/v1/chat/completions", """{"model":"nope","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var body = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Equal("error", body.RootElement.GetProperty("object").GetString());
        Assert.Equal(404, body.RootElement.GetProperty("code").GetInt32());

        using var malformed = await PostAsync("/v1/chat/completions", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("BadRequestError", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_show_running_requests_live()
    {
        var slow = PostAsync("/v1/completions", """{"model":"llama","prompt":"x","max_tokens":50}""");
        await Eventually.TrueAsync(async () => (await _http.GetStringAsync(Url + "/metrics")).Contains("vllm:num_requests_running{engine=\"0\",model_name=\"llama\"} 1.0", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "running 1 while the request is in flight");
        (await slow).Dispose();
        var after = await _http.GetStringAsync(Url + "/metrics");
        Assert.Contains("vllm:num_requests_running{engine=\"0\",model_name=\"llama\"} 0.0", after, StringComparison.Ordinal);
        Assert.Contains("# TYPE vllm:kv_cache_usage_perc gauge", after, StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json) =>
        _http.PostAsync(Url + path, new StringContent(json, Encoding.UTF8, "application/json"));
}
