using System.Text.RegularExpressions;
using CrossLogic.IntegrationTests.Gateway;
using OpenAI.Chat;

namespace CrossLogic.IntegrationTests.Observability;

/// <summary>/metrics in Prometheus format on the admin HTTP port: gateway traffic, live nodes, verdicts.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MetricsTests(GatewayCluster cluster)
{
    [Fact]
    public async Task Metrics_show_gateway_traffic_by_model_and_status_and_the_live_nodes()
    {
        var chat = cluster.OpenAi().GetChatClient(GatewayCluster.Model);
        await chat.CompleteChatAsync([new UserChatMessage("count me")]);
        using var http = new HttpClient();
        var text = await http.GetStringAsync(cluster.ControlPlane.HttpUrl + "/metrics");

        Assert.Matches(Line("crosslogic_gateway_requests_total", $"model=\"{GatewayCluster.Model}\"", "status=\"200\""), text);
        Assert.Matches(Line("crosslogic_gateway_request_duration_seconds_bucket", $"model=\"{GatewayCluster.Model}\""), text);
        Assert.Matches(Line("crosslogic_gateway_tokens_total", $"model=\"{GatewayCluster.Model}\"", "type=\"completion\""), text);
        Assert.Matches(Line("crosslogic_node_transitions_total", "state=\"READY\""), text);
        Assert.Matches(Line("crosslogic_node_engine_requests_running", "node=\"gw-"), text);
        Assert.Matches(@"(?m)^crosslogic_link_streams(\{[^}]*\})? [1-9]", text);
        // Input that names no known model never becomes a label.
        using var bogus = cluster.Http();
        await bogus.PostAsync(cluster.ControlPlane.GatewayUrl + "/chat/completions",
            new StringContent("""{"model":"made-up-model-xyz","messages":[{"role":"user","content":"x"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.DoesNotContain("made-up-model-xyz", await http.GetStringAsync(cluster.ControlPlane.HttpUrl + "/metrics"));
    }

    [Fact]
    public async Task Metrics_are_not_served_on_the_gateway_port()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync($"http://127.0.0.1:{cluster.ControlPlane.GatewayPort}/metrics");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>A sample line of <paramref name="metric"/> carrying every one of <paramref name="labels"/>.</summary>
    private static string Line(string metric, params string[] labels) =>
        "(?m)^" + Regex.Escape(metric) + @"\{" + string.Concat(labels.Select(l => "(?=[^}]*" + Regex.Escape(l) + ")")) + @"[^}]*\} [0-9.e+-]+";
}
