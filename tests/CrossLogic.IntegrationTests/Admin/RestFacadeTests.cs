using System.Net;
using System.Text;
using System.Text.Json;
using CrossLogic.IntegrationTests.Gateway;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Admin;

/// <summary>The REST facade refuses a body field its message does not have, at any depth, instead of dropping it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RestFacadeTests(GatewayCluster cluster)
{
    [Theory]
    [InlineData("/v1/tenants/rest/apiKeys", """{"displayName":"typo","requestPerMinute":5}""", "requestPerMinute")]
    [InlineData("/v1/deployments", """{"name":"deployments/rest-typo","model":"m","gpuType":"L4","replica":3}""", "replica")]
    [InlineData("/v1/deployments", """{"name":"deployments/rest-deep","model":"m","placement":{"infra":["aws"],"spred":true}}""", "placement.spred")]
    public async Task A_misspelt_field_is_refused_and_nothing_is_created(string path, string body, string field)
    {
        using var http = Admin();

        using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        using var error = JsonDocument.Parse(text);
        Assert.Equal(3, error.RootElement.GetProperty("code").GetInt32());
        Assert.Contains($"unknown field '{field}'", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("typo", await http.GetStringAsync("/v1/tenants/rest/apiKeys"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v1/deployments/rest-typo")).StatusCode);
    }

    [Fact]
    public async Task Fields_by_their_JSON_or_proto_names_are_taken()
    {
        using var http = Admin();

        using var camel = await http.PostAsync("/v1/tenants/rest/apiKeys", new StringContent("""{"displayName":"camel","requestsPerMinute":5}""", Encoding.UTF8, "application/json"));
        using var snake = await http.PostAsync("/v1/tenants/rest/apiKeys", new StringContent("""{"display_name":"snake","tokens_per_minute":7}""", Encoding.UTF8, "application/json"));

        Assert.Contains("\"requestsPerMinute\":5", await camel.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("\"tokensPerMinute\":7", await snake.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_over_the_admin_message_limit_is_refused_in_the_APIs_error_shape()
    {
        using var http = Admin();
        var big = Encoding.UTF8.GetBytes($$"""{"displayName":"{{new string('x', 1_500_000)}}"}""");
        using var content = new StreamContent(new MemoryStream(big)); // no length: sent chunked
        content.Headers.ContentType = new("application/json");

        using var response = await http.PostAsync("/v1/tenants/rest/apiKeys", content);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        using var error = JsonDocument.Parse(text);
        Assert.Equal(3, error.RootElement.GetProperty("code").GetInt32());
    }

    private HttpClient Admin()
    {
        var http = new HttpClient { BaseAddress = new Uri(cluster.ControlPlane.HttpUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ControlPlaneProcess.AdminToken);
        return http;
    }
}
