using System.Text;
using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Gateway.Forwarding;
using CrossLogic.ControlPlane.Gateway.RateLimits;
using CrossLogic.ControlPlane.Gateway.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.ControlPlane.Tests.Gateway;

public sealed class ApiKeyFormatTests
{
    [Fact]
    public void Minted_keys_parse_to_their_id_and_match_only_their_own_hash()
    {
        var (keyId, key) = ApiKeyFormat.Mint();
        var (_, other) = ApiKeyFormat.Mint();

        Assert.True(ApiKeyFormat.TryParse(key, out var parsed));
        Assert.Equal(keyId, parsed);
        Assert.StartsWith("sk-cl-" + keyId + "_", key, StringComparison.Ordinal);
        Assert.Equal(ApiKeyFormat.Hash(key), ApiKeyFormat.Hash(key));
        Assert.NotEqual(ApiKeyFormat.Hash(key), ApiKeyFormat.Hash(other));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sk-cl-")]
    [InlineData("' OR '1'='1")]
    [InlineData("sk-cl-ABCDEFGH_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("sk-cl-abcdefgh-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("sk-cl-abcdefgh_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'a")]
    public void Malformed_keys_are_refused_before_any_lookup(string key) => Assert.False(ApiKeyFormat.TryParse(key, out _));
}

public sealed class TokenBucketTests
{
    [Fact]
    public void Requests_are_refused_once_the_minute_budget_is_spent_and_admitted_again_as_it_refills()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(60, time.GetTimestamp(), time);
        for (var i = 0; i < 60; i++)
        {
            Assert.True(bucket.TryTake(1, out _));
        }

        Assert.False(bucket.TryTake(1, out var wait));
        Assert.Equal(1, wait.TotalSeconds, precision: 3);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(bucket.TryTake(1, out _));
    }

    [Fact]
    public void Tokens_charged_after_the_fact_put_the_bucket_in_debt_until_repaid()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(600, time.GetTimestamp(), time);

        bucket.Charge(1200);

        Assert.False(bucket.HasCredit(out var wait));
        Assert.InRange(wait.TotalSeconds, 60, 61);
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.True(bucket.HasCredit(out _));
    }
}

public sealed class InferenceRequestTests
{
    private static readonly GatewayOptions Options = new() { EngineKeySecret = new string('s', 32) };

    [Fact]
    public void A_stream_without_stream_options_asks_the_engine_for_usage_and_remembers_the_client_did_not()
    {
        var body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}"""u8.ToArray();

        var (request, error) = InferenceRequest.Parse(InferenceKind.Chat, body, Options);

        Assert.Null(error);
        Assert.True(request!.Stream);
        Assert.False(request.ClientWantsUsage);
        Assert.False(request.ClientWantsUsageInChunks);
        using var forwarded = System.Text.Json.JsonDocument.Parse(request.Body);
        Assert.True(forwarded.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.True(forwarded.RootElement.GetProperty("stream_options").GetProperty("continuous_usage_stats").GetBoolean());
        Assert.Equal("m", forwarded.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void Stream_options_sent_as_null_are_replaced_so_the_engine_gets_one_usage_request()
    {
        var body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":null}"""u8.ToArray();

        var (request, error) = InferenceRequest.Parse(InferenceKind.Chat, body, Options);

        Assert.Null(error);
        Assert.False(request!.ClientWantsUsage);
        // Parsed as the engine will, strictly: one stream_options, asking for usage.
        using var forwarded = System.Text.Json.JsonDocument.Parse(request.Body, new() { AllowDuplicateProperties = false });
        Assert.True(forwarded.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public void Stream_options_without_include_usage_are_completed_and_everything_else_is_kept()
    {
        var body = """{"model":"m","prompt":"x","stream":true,"stream_options":{"continuous_usage_stats":false,"x":1},"top_k":5}"""u8.ToArray();

        var (request, _) = InferenceRequest.Parse(InferenceKind.Completion, body, Options);

        // The engine is asked for usage in every chunk; the client, which did not ask, gets none of it.
        Assert.False(request!.ClientWantsUsage);
        Assert.False(request.ClientWantsUsageInChunks);
        using var forwarded = System.Text.Json.JsonDocument.Parse(request.Body);
        var options = forwarded.RootElement.GetProperty("stream_options");
        Assert.True(options.GetProperty("include_usage").GetBoolean());
        Assert.True(options.GetProperty("continuous_usage_stats").GetBoolean());
        Assert.Equal(1, options.GetProperty("x").GetInt32());
        Assert.Equal(5, forwarded.RootElement.GetProperty("top_k").GetInt32());
    }

    [Theory]
    [InlineData("""{"model":"allowed","model":"other","messages":[{"role":"user","content":"hi"}]}""", "Duplicate")]
    [InlineData("""{"model":"m","stream":true,"stream_options":{},"stream_options":{},"messages":[{"role":"user","content":"hi"}]}""", "Duplicate")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi","content":"ho"}]}""", "Duplicate")]
    public void A_body_that_names_a_property_twice_is_a_bad_request(string body, string said)
    {
        var (request, error) = InferenceRequest.Parse(InferenceKind.Chat, Encoding.UTF8.GetBytes(body), Options);

        Assert.Null(request);
        Assert.Equal(400, error!.Status);
        Assert.Contains(said, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("model")]
    [InlineData("content")]
    public void A_body_that_is_not_utf8_is_a_bad_request_wherever_the_bad_byte_is(string where)
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"MODEL","messages":[{"role":"user","content":"CONTENT"}]}""").ToList();
        var at = Encoding.UTF8.GetString([.. body]).IndexOf(where.ToUpperInvariant(), StringComparison.Ordinal);
        body[at] = 0xFF;

        var (request, error) = InferenceRequest.Parse(InferenceKind.Chat, [.. body], Options);

        Assert.Null(request);
        Assert.Equal(400, error!.Status);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_that_is_not_streamed_is_forwarded_byte_for_byte()
    {
        var body = """{ "model" : "m", "input" : ["a", "b"] }"""u8.ToArray();

        var (request, _) = InferenceRequest.Parse(InferenceKind.Embedding, body, Options);

        Assert.Same(body, request!.Body);
    }

    [Fact]
    public void Only_a_prompt_long_enough_to_share_a_prefix_gets_an_affinity_key()
    {
        var shortPrompt = InferenceRequest.Parse(InferenceKind.Completion, """{"model":"m","prompt":"hi"}"""u8.ToArray(), Options).Request!;
        var longA = InferenceRequest.Parse(InferenceKind.Completion, Encoding.UTF8.GetBytes($$"""{"model":"m","prompt":"{{new string('p', 300)}} A"}"""), Options).Request!;
        var longB = InferenceRequest.Parse(InferenceKind.Completion, Encoding.UTF8.GetBytes($$"""{"model":"m","prompt":"{{new string('p', 300)}} B"}"""), Options).Request!;

        var differentStart = InferenceRequest.Parse(InferenceKind.Completion, Encoding.UTF8.GetBytes($$"""{"model":"m","prompt":"q{{new string('p', 300)}}"}"""), Options).Request!;

        Assert.Null(shortPrompt.AffinityHash);
        Assert.NotNull(longA.AffinityHash);
        Assert.Equal(longA.AffinityHash, longB.AffinityHash);
        Assert.NotEqual(longA.AffinityHash, differentStart.AffinityHash);
    }
}

public sealed class ResponseTapTests
{
    [Fact]
    public async Task The_usage_only_chunk_is_dropped_when_the_client_did_not_ask_and_its_tokens_are_read()
    {
        using var client = new MemoryStream();
        var tap = new ResponseTap(client, serverSentEvents: true, keepUsageChunk: false, TimeProvider.System);
        var sse = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n" +
                  "data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n" +
                  "data: [DONE]\n\n";
        var bytes = Encoding.UTF8.GetBytes(sse);

        // Split mid-event, as TCP may.
        await tap.WriteAsync(bytes.AsMemory(0, 30));
        await tap.WriteAsync(bytes.AsMemory(30));
        await tap.CompleteAsync(default);

        var seen = Encoding.UTF8.GetString(client.ToArray());
        Assert.Equal("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n", seen);
        Assert.Equal(new TokenUsage(3, 1, 4), tap.Usage);
    }

    [Fact]
    public async Task Usage_in_every_chunk_is_read_and_taken_out_of_the_chunks_when_the_client_did_not_ask_for_it()
    {
        using var client = new MemoryStream();
        var tap = new ResponseTap(client, serverSentEvents: true, keepUsageChunk: false, TimeProvider.System, keepUsageInChunks: false);
        var sse = "data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n" +
                  "data: {\"usage\": {\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5} , \"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n";

        await tap.WriteAsync(Encoding.UTF8.GetBytes(sse));

        Assert.Equal(
            "data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: { \"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n",
            Encoding.UTF8.GetString(client.ToArray()));
        Assert.Equal(new TokenUsage(3, 2, 5), tap.Usage); // what a stream cut here has used
    }

    [Fact]
    public async Task Usage_in_every_chunk_passes_unchanged_when_the_client_asked_for_it()
    {
        using var client = new MemoryStream();
        var tap = new ResponseTap(client, serverSentEvents: true, keepUsageChunk: true, TimeProvider.System, keepUsageInChunks: true);
        var sse = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n";

        await tap.WriteAsync(Encoding.UTF8.GetBytes(sse));

        Assert.Equal(sse, Encoding.UTF8.GetString(client.ToArray()));
    }

    [Fact]
    public async Task A_whole_json_answer_passes_unchanged_and_its_usage_is_read_from_the_end()
    {
        using var client = new MemoryStream();
        var tap = new ResponseTap(client, serverSentEvents: false, keepUsageChunk: true, TimeProvider.System);
        var json = "{\"id\":\"c\",\"choices\":[{\"text\":\"" + new string('t', 20000) + "\"}],\"usage\":{\"prompt_tokens\":7,\"total_tokens\":12,\"completion_tokens\":5}}";

        foreach (var chunk in Encoding.UTF8.GetBytes(json).Chunk(4096))
        {
            await tap.WriteAsync(chunk);
        }

        await tap.CompleteAsync(default);
        Assert.Equal(json, Encoding.UTF8.GetString(client.ToArray()));
        Assert.Equal(new TokenUsage(7, 5, 12), tap.Usage);
    }
}

public sealed class UpstreamErrorsTests
{
    [Fact]
    public void A_vllm_error_becomes_an_OpenAI_error_with_its_message()
    {
        var error = UpstreamErrors.Translate(400, """{"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400}"""u8);

        Assert.Equal(400, error.Status);
        Assert.Equal("too long", error.Message);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Null(error.Code);
    }

    [Fact]
    public void An_engine_that_refuses_the_engine_key_is_a_gateway_fault_not_the_clients()
    {
        var error = UpstreamErrors.Translate(401, """{"error":"Unauthorized"}"""u8);

        Assert.Equal(502, error.Status);
    }
}

public sealed class ReplicaPickerTests
{
    private static ReplicaPicker Picker(bool affinity = true) =>
        new(Microsoft.Extensions.Options.Options.Create(new GatewayOptions { EngineKeySecret = new string('s', 32), PrefixAffinity = affinity }), TimeProvider.System);

    [Fact]
    public void The_less_loaded_of_two_replicas_is_chosen()
    {
        var busy = new Replica("busy", 1, "m", "http://a/");
        var idle = new Replica("idle", 1, "m", "http://b/");
        busy.Started();
        busy.ReportedWaiting = 3;

        for (var i = 0; i < 50; i++)
        {
            Assert.Same(idle, Picker().Pick([busy, idle], null, null));
        }
    }

    [Fact]
    public void Ejected_and_excluded_replicas_are_skipped_and_degraded_ones_only_used_as_a_last_resort()
    {
        var time = TimeProvider.System;
        var ejected = new Replica("ejected", 1, "m", "http://a/");
        var degraded = new Replica("degraded", 1, "m", "http://b/") { Degraded = true };
        var healthy = new Replica("healthy", 1, "m", "http://c/");
        ejected.Failed(1, time.GetTimestamp() + time.TimestampFrequency * 60);

        Assert.Same(healthy, Picker().Pick([ejected, degraded, healthy], null, null));
        Assert.Same(degraded, Picker().Pick([ejected, degraded, healthy], null, healthy));
    }

    [Fact]
    public void The_same_affinity_key_picks_the_same_replica_until_it_is_clearly_busier()
    {
        var replicas = Enumerable.Range(0, 4).Select(i => new Replica($"n{i}", 1, "m", $"http://{i}/")).ToArray();
        var first = Picker().Pick(replicas, 42UL, null)!;
        for (var i = 0; i < 20; i++)
        {
            Assert.Same(first, Picker().Pick(replicas, 42UL, null));
        }

        for (var i = 0; i < 10; i++)
        {
            first.Started();
        }

        Assert.NotSame(first, Picker().Pick(replicas, 42UL, null));
    }
}
