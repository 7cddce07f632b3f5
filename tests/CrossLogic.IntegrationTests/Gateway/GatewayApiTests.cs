using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace CrossLogic.IntegrationTests.Gateway;

/// <summary>The OpenAI API as customers call it: the official client library against the gateway and mock engines.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayApiTests(GatewayCluster cluster)
{
    [Fact]
    public async Task Chat_completion_through_the_official_client_returns_text_usage_and_a_request_id()
    {
        var chat = cluster.OpenAi().GetChatClient(GatewayCluster.Model);

        var result = await chat.CompleteChatAsync([new UserChatMessage("Say hello")], new ChatCompletionOptions { MaxOutputTokenCount = 5 });

        Assert.Equal("token0 token1 token2 token3 token4", result.Value.Content[0].Text.Trim());
        Assert.Equal(5, result.Value.Usage.OutputTokenCount);
        Assert.True(result.Value.Usage.InputTokenCount > 0);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var requestId));
        Assert.StartsWith("req-", requestId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_chat_arrives_as_chunks_through_the_official_client()
    {
        var chat = cluster.OpenAi().GetChatClient(GatewayCluster.Model);
        var text = new System.Text.StringBuilder();
        var updates = 0;

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Count")], new ChatCompletionOptions { MaxOutputTokenCount = 8 }))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.True(updates >= 8, $"expected one update per token, got {updates}");
        Assert.Equal("token0 token1 token2 token3 token4 token5 token6 token7", text.ToString().Trim());
    }

    [Fact]
    public async Task A_stream_that_did_not_ask_for_usage_gets_no_usage_chunk_but_its_usage_is_recorded()
    {
        var (key, keyId) = await cluster.ControlPlane.CreateApiKeyAsync("stream-usage");
        using var http = cluster.Http(key);

        using var response = await http.PostAsync("chat/completions", GatewayCluster.Json(
            $$"""{"model":"{{GatewayCluster.Model}}","messages":[{"role":"user","content":"one two three"}],"max_tokens":6,"stream":true}"""));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"usage\"", body, StringComparison.Ordinal);
        var usage = await cluster.UsageAsync("stream-usage", 1, keyId);
        Assert.Equal(6, usage.CompletionTokens);
        Assert.True(usage.PromptTokens > 0);

        using var withUsage = await http.PostAsync("chat/completions", GatewayCluster.Json(
            $$$"""{"model":"{{{GatewayCluster.Model}}}","messages":[{"role":"user","content":"x"}],"max_tokens":2,"stream":true,"stream_options":{"include_usage":true}}"""));
        Assert.Contains("\"usage\":{", await withUsage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completions_and_embeddings_are_forwarded()
    {
        using var http = cluster.Http();
        using var completion = await http.PostAsync("completions", GatewayCluster.Json($$"""{"model":"{{GatewayCluster.Model}}","prompt":"Once","max_tokens":3}"""));
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        using var json = JsonDocument.Parse(await completion.Content.ReadAsStringAsync());
        Assert.Equal("text_completion", json.RootElement.GetProperty("object").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var embedding = await cluster.OpenAi().GetEmbeddingClient(GatewayCluster.Model).GenerateEmbeddingAsync("a sentence to embed");
        Assert.True(embedding.Value.ToFloats().Length > 0);
    }

    [Fact]
    public async Task A_large_prompt_sent_with_Expect_100_continue_is_answered_as_curl_expects()
    {
        using var http = cluster.Http();
        // curl asks `Expect: 100-continue` for bodies over 1 KB. The gateway answers it itself; that the engine never
        // sees the header is EngineTransformerTests' part.
        using var request = new HttpRequestMessage(HttpMethod.Post, "completions")
        {
            Content = GatewayCluster.Json($$"""{"model":"{{GatewayCluster.Model}}","prompt":"{{new string('w', 64 << 10)}}","max_tokens":2}"""),
        };
        request.Headers.ExpectContinue = true;

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Model_list_shows_models_with_a_ready_replica_and_only_those_a_key_may_use()
    {
        var models = await cluster.OpenAi().GetOpenAIModelClient().GetModelsAsync();
        Assert.Contains(models.Value, m => m.Id == GatewayCluster.Model);

        var (restricted, _) = await cluster.ControlPlane.CreateApiKeyAsync("restricted", new ApiKey { AllowedModels = { "some-other-model" } });
        var visible = await cluster.OpenAi(restricted).GetOpenAIModelClient().GetModelsAsync();
        Assert.DoesNotContain(visible.Value, m => m.Id == GatewayCluster.Model);
        var denied = await Assert.ThrowsAsync<ClientResultException>(() =>
            cluster.OpenAi(restricted).GetChatClient(GatewayCluster.Model).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, denied.Status);
    }

    [Fact]
    public async Task Keys_that_are_missing_malformed_unknown_revoked_or_expired_get_401_in_OpenAI_shape()
    {
        var (revoked, revokedId) = await cluster.ControlPlane.CreateApiKeyAsync("acme");
        await cluster.ControlPlane.Gateway.RevokeApiKeyAsync(new RevokeApiKeyRequest { Name = "tenants/acme/apiKeys/" + revokedId });
        var (expiring, _) = await cluster.ControlPlane.CreateApiKeyAsync("acme", new ApiKey
        {
            ExpireTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow.AddSeconds(1)),
        });
        await Task.Delay(1200);
        var (valid, _) = await cluster.ControlPlane.CreateApiKeyAsync("acme");
        var wrongSecret = valid[..^4] + (valid.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        foreach (var (key, expected) in new (string?, string)[]
        {
            (null, "didn't provide an API key"),
            ("not-a-key", "Incorrect API key"),
            ("' OR '1'='1", "Incorrect API key"),
            (wrongSecret, "Incorrect API key"),
            (revoked, "revoked"),
            (expiring, "expired"),
        })
        {
            using var http = cluster.Http(key);
            using var response = await http.PostAsync("chat/completions", GatewayCluster.Json($$"""{"model":"{{GatewayCluster.Model}}","messages":[{"role":"user","content":"hi"}]}"""));
            var error = await ErrorAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Bad_requests_get_OpenAI_errors_with_the_right_status()
    {
        using var http = cluster.Http();
        var model = GatewayCluster.Model;
        foreach (var (body, status, code) in new (string, HttpStatusCode, string?)[]
        {
            ("{not json", HttpStatusCode.BadRequest, null),
            ("[1,2]", HttpStatusCode.BadRequest, null),
            ("""{"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, null),
            ($$"""{"model":"{{model}}"}""", HttpStatusCode.BadRequest, "missing_required_parameter"),
            ($$"""{"model":"{{model}}","messages":[]}""", HttpStatusCode.BadRequest, "invalid_type"),
            ($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"n":1000}""", HttpStatusCode.BadRequest, "invalid_value"),
            ($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", HttpStatusCode.BadRequest, "invalid_type"),
            ("""{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.NotFound, "model_not_found"),
        })
        {
            using var response = await http.PostAsync("chat/completions", GatewayCluster.Json(body));
            var error = await ErrorAsync(response, status);
            Assert.Equal(code, error.GetProperty("code").GetString());
        }

        var huge = $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{new string('x', 5 << 20)}}"}]}""";
        // As curl does for large bodies: the gateway refuses on the headers, before a byte of the body is sent.
        using var oversized = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = GatewayCluster.Json(huge) };
        oversized.Headers.ExpectContinue = true;
        using var tooLarge = await http.SendAsync(oversized);
        Assert.Equal("request_too_large", (await ErrorAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Bodies_parsers_could_read_two_ways_or_not_at_all_get_400_in_OpenAI_shape()
    {
        using var http = cluster.Http();
        var model = GatewayCluster.Model;
        using var twoModels = await http.PostAsync("chat/completions", GatewayCluster.Json(
            $$"""{"model":"no-such-model","model":"{{model}}","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Contains("Duplicate property 'model'", (await ErrorAsync(twoModels, HttpStatusCode.BadRequest)).GetProperty("message").GetString(), StringComparison.Ordinal);

        var notUtf8 = System.Text.Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","messages":[{"role":"user","content":"h?"}]}""");
        notUtf8[Array.LastIndexOf(notUtf8, (byte)'?')] = 0xFF;
        using var content = new ByteArrayContent(notUtf8);
        content.Headers.ContentType = new("application/json");
        using var badBytes = await http.PostAsync("chat/completions", content);
        Assert.Contains("not valid UTF-8", (await ErrorAsync(badBytes, HttpStatusCode.BadRequest)).GetProperty("message").GetString(), StringComparison.Ordinal);

        // Chunked framing Kestrel cannot read: the client's fault, in OpenAI's shape (raw, as HttpClient frames correctly).
        var gateway = new Uri(cluster.ControlPlane.GatewayUrl);
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(gateway.Host, gateway.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {cluster.ApiKey}\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));
        using var reader = new StreamReader(stream);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"The request body could not be read", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_errors_reach_the_client_in_OpenAI_shape()
    {
        using var http = cluster.Http();
        // The mock engine's context is 4096 tokens, like vLLM with --max-model-len 4096: it answers vLLM's error shape.
        using var response = await http.PostAsync("chat/completions", GatewayCluster.Json(
            $$"""{"model":"{{GatewayCluster.Model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":100000}"""));

        var error = await ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("maximum context length is 4096", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Only_the_OpenAI_routes_exist_on_the_gateway_port()
    {
        using var http = cluster.Http();
        foreach (var path in new[] { "nodes", "../v1/nodes", "tenants/acme/apiKeys", "chat", "../metrics", "../healthz" })
        {
            using var response = await http.GetAsync(path);
            await ErrorAsync(response, HttpStatusCode.NotFound);
        }

        using var wrongMethod = await http.GetAsync("chat/completions");
        await ErrorAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task A_key_over_its_request_rate_gets_429_with_Retry_After()
    {
        var (key, _) = await cluster.ControlPlane.CreateApiKeyAsync("limited", new ApiKey { RequestsPerMinute = 2 });
        using var http = cluster.Http(key);
        var body = $$"""{"model":"{{GatewayCluster.Model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":1}""";

        for (var i = 0; i < 2; i++)
        {
            using var ok = await http.PostAsync("chat/completions", GatewayCluster.Json(body));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await http.PostAsync("chat/completions", GatewayCluster.Json(body));
        Assert.Equal("rate_limit_exceeded", (await ErrorAsync(limited, HttpStatusCode.TooManyRequests)).GetProperty("code").GetString());
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 30);
    }

    [Fact]
    public async Task A_key_over_its_token_rate_gets_429_after_the_tokens_are_spent()
    {
        var (key, _) = await cluster.ControlPlane.CreateApiKeyAsync("token-limited", new ApiKey { TokensPerMinute = 30 });
        using var http = cluster.Http(key);
        var body = $$"""{"model":"{{GatewayCluster.Model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":40}""";

        using var first = await http.PostAsync("chat/completions", GatewayCluster.Json(body));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await http.PostAsync("chat/completions", GatewayCluster.Json(body));
        await ErrorAsync(second, HttpStatusCode.TooManyRequests);
        Assert.NotNull(second.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_known_model_with_no_ready_replica_gets_503_with_Retry_After()
    {
        // Placed but never started: the model exists, nothing serves it.
        await cluster.ControlPlane.CreateServingNodeAsync("gw-cold-" + Guid.NewGuid().ToString("N")[..6], "cold-model", "http://127.0.0.1:9");
        using var http = cluster.Http();

        using var response = await http.PostAsync("chat/completions", GatewayCluster.Json("""{"model":"cold-model","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal("no_replica_available", (await ErrorAsync(response, HttpStatusCode.ServiceUnavailable)).GetProperty("code").GetString());
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task The_first_streamed_chunk_reaches_the_client_within_milliseconds_of_the_engine_sending_it()
    {
        const int FirstTokenDelayMs = 300;
        var model = "ttft-model";
        await cluster.StartNodeAsync(model, new Dictionary<string, string> { ["MOCK_ENGINE_FIRST_TOKEN_DELAY_MS"] = FirstTokenDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await cluster.WaitRoutedAsync(model);
        var body = $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":50,"stream":true}""";
        using var gateway = cluster.Http();

        var added = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var viaGateway = await FirstChunkMsAsync(gateway, body);
            added.Add(viaGateway - FirstTokenDelayMs);
        }

        added.Sort();
        var median = added[added.Count / 2];
        Console.WriteLine($"first chunk via gateway, beyond the engine's {FirstTokenDelayMs} ms: median {median:F1} ms");
        Assert.True(median < 50, $"first chunk took {median:F1} ms more than the engine's delay");
    }

    private static async Task<double> FirstChunkMsAsync(HttpClient http, string body)
    {
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = GatewayCluster.Json(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[1];
        _ = await stream.ReadAsync(buffer);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _), text);
        return error.Clone();
    }
}
