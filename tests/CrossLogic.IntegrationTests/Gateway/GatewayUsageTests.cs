using System.Net;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using Grpc.Core;

namespace CrossLogic.IntegrationTests.Gateway;

/// <summary>Usage is counted once and survives shutdown; tenants see only their own keys and usage.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayUsageTests(GatewayCluster cluster)
{
    [Fact]
    public async Task Every_request_is_counted_once_with_the_tokens_the_engine_reported()
    {
        var (key, keyId) = await cluster.ControlPlane.CreateApiKeyAsync("counted");
        using var http = cluster.Http(key);
        long completion = 0;
        for (var i = 1; i <= 12; i++)
        {
            var stream = i % 2 == 0 ? "true" : "false";
            using var response = await http.PostAsync("chat/completions", GatewayCluster.Json(
                $$"""{"model":"{{GatewayCluster.Model}}","messages":[{"role":"user","content":"count me"}],"max_tokens":{{i}},"stream":{{stream}}}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync();
            completion += i;
        }

        var usage = await cluster.UsageAsync("counted", 12, keyId);
        await Task.Delay(1500);
        usage = await cluster.ControlPlane.Gateway.GetUsageAsync(new GetUsageRequest { Parent = "tenants/counted" });
        Assert.Equal(12, usage.Requests);
        Assert.Equal(completion, usage.CompletionTokens);
        Assert.Equal(usage.PromptTokens + usage.CompletionTokens, usage.TotalTokens);
        Assert.All(usage.Rows, r => Assert.Equal(GatewayCluster.Model, r.Model));
    }

    [Fact]
    public async Task A_tenant_cannot_see_or_touch_another_tenants_keys_or_usage()
    {
        var (aliceKey, aliceId) = await cluster.ControlPlane.CreateApiKeyAsync("alice");
        await cluster.ControlPlane.CreateApiKeyAsync("bob");
        using (var http = cluster.Http(aliceKey))
        {
            using var response = await http.PostAsync("chat/completions", GatewayCluster.Json($$"""{"model":"{{GatewayCluster.Model}}","messages":[{"role":"user","content":"mine"}],"max_tokens":1}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await cluster.UsageAsync("alice", 1);
        var gateway = cluster.ControlPlane.Gateway;

        var bobKeys = await gateway.ListApiKeysAsync(new ListApiKeysRequest { Parent = "tenants/bob", ShowRevoked = true });
        Assert.DoesNotContain(bobKeys.ApiKeys, k => k.KeyId == aliceId);
        Assert.Equal(0, (await gateway.GetUsageAsync(new GetUsageRequest { Parent = "tenants/bob" })).Requests);
        var get = await Assert.ThrowsAsync<RpcException>(async () => await gateway.GetApiKeyAsync(new GetApiKeyRequest { Name = $"tenants/bob/apiKeys/{aliceId}" }));
        Assert.Equal(StatusCode.NotFound, get.StatusCode);
        var revoke = await Assert.ThrowsAsync<RpcException>(async () => await gateway.RevokeApiKeyAsync(new RevokeApiKeyRequest { Name = $"tenants/bob/apiKeys/{aliceId}" }));
        Assert.Equal(StatusCode.NotFound, revoke.StatusCode);
        Assert.Null((await gateway.GetApiKeyAsync(new GetApiKeyRequest { Name = $"tenants/alice/apiKeys/{aliceId}" })).RevokeTime);

        var listed = Assert.Single((await gateway.ListApiKeysAsync(new ListApiKeysRequest { Parent = "tenants/alice" })).ApiKeys);
        Assert.Equal("sk-cl-" + aliceId, listed.Prefix);
        Assert.DoesNotContain(aliceKey[10..], listed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gateway_admin_api_needs_the_admin_token_and_validates_names()
    {
        var anonymous = new Contracts.V1.Gateway.GatewayClient(cluster.ControlPlane.Channel);
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.ListApiKeysAsync(new ListApiKeysRequest { Parent = "tenants/acme" }));
        Assert.Equal(StatusCode.Unauthenticated, denied.StatusCode);

        foreach (var parent in new[] { "", "tenants/", "tenants/Upper", "tenants/a/b", "nodes/x" })
        {
            var invalid = await Assert.ThrowsAsync<RpcException>(async () => await cluster.ControlPlane.Gateway.CreateApiKeyAsync(new CreateApiKeyRequest { Parent = parent, ApiKey = new ApiKey() }));
            Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        }

        var past = await Assert.ThrowsAsync<RpcException>(async () => await cluster.ControlPlane.Gateway.CreateApiKeyAsync(new CreateApiKeyRequest
        {
            Parent = "tenants/acme",
            ApiKey = new ApiKey { ExpireTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow.AddMinutes(-1)) },
        }));
        Assert.Equal(StatusCode.InvalidArgument, past.StatusCode);

        using var rest = new HttpClient();
        using var response = await rest.GetAsync(cluster.ControlPlane.HttpUrl + "/v1/tenants/acme/apiKeys");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

/// <summary>A control plane that stops while requests flow writes all their usage before it exits.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayShutdownTests(GatewayCluster cluster)
{
    [Fact]
    public async Task Usage_queued_at_shutdown_is_written_before_exit_and_never_twice()
    {
        await using var controlPlane = await ControlPlaneProcess.StartAsync(
            cluster.Postgres.ConnectionString(),
            new Dictionary<string, string> { ["Gateway__UsageFlushIntervalMs"] = "60000", ["Gateway__UsageBatchSize"] = "100000" });
        var (key, _) = await controlPlane.CreateApiKeyAsync("shutdown");
        var nodeId = "gw-sd-" + Guid.NewGuid().ToString("N")[..8];
        var engine = AgentProcess.MockEngine(Path.Combine(Path.GetTempPath(), nodeId + ".log"), model: "shutdown-model");
        var (agent, _, _) = await ServingNode.StartAsync(controlPlane, nodeId, "shutdown-model", engine);
        await using var ownedAgent = agent;
        using var http = new HttpClient { BaseAddress = new Uri(controlPlane.GatewayUrl + "/") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        const string Body = """{"model":"shutdown-model","messages":[{"role":"user","content":"hi"}],"max_tokens":2}""";
        await Eventually.TrueAsync(async () => (await http.PostAsync("chat/completions", GatewayCluster.Json(Body))).IsSuccessStatusCode, TimeSpan.FromSeconds(40), "served");
        var served = 1;
        for (var i = 0; i < 25; i++)
        {
            using var response = await http.PostAsync("chat/completions", GatewayCluster.Json(Body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            served++;
        }

        // The flush interval is a minute: only a graceful shutdown can have written these rows.
        await controlPlane.StopAsync();

        var usage = await cluster.ControlPlane.Gateway.GetUsageAsync(new GetUsageRequest { Parent = "tenants/shutdown" });
        Assert.Equal(served, usage.Requests);
        Assert.Equal(served * 2, usage.CompletionTokens);
    }
}
