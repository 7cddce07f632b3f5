using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.QuickStart;

/// <summary>The README's first command: ./scripts/run-local brings up everything and serves a chat completion.</summary>
[Collection(PostgresCollection.Name)]
public sealed partial class RunLocalTests
{
    [Fact]
    public async Task Run_local_serves_a_chat_completion_within_60_seconds_and_stops_everything_on_sigterm()
    {
        var state = Directory.CreateTempSubdirectory("crosslogic-run-local-").FullName;
        var gatewayPort = FreePort.Next();
        var clock = Stopwatch.StartNew();
        await using var script = ChildProcess.Start("bash", [Path.Combine(RepoPaths.Root, "scripts", "run-local")], new Dictionary<string, string>
        {
            ["CROSSLOGIC_SKIP_BUILD"] = "1",
            ["CROSSLOGIC_CONFIGURATION"] = RepoPaths.Configuration,
            ["CROSSLOGIC_STATE_DIR"] = state,
            ["CROSSLOGIC_PG_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CROSSLOGIC_GRPC_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CROSSLOGIC_HTTP_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CROSSLOGIC_GATEWAY_PORT"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        try
        {
            await script.WaitForOutputAsync("Ctrl-C stops everything.", TimeSpan.FromSeconds(90));
            var key = ApiKey().Match(script.Output).Groups[1].Value;
            Assert.StartsWith("sk-cl-", key);

            using var http = new HttpClient();
            await Eventually.TrueAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{gatewayPort}/v1/chat/completions")
                {
                    Content = new StringContent("""{"model":"Qwen/Qwen2.5-0.5B-Instruct","messages":[{"role":"user","content":"Hello"}],"max_tokens":4}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                return (await http.SendAsync(request)).IsSuccessStatusCode;
            }, TimeSpan.FromSeconds(60) - clock.Elapsed, "a chat completion through run-local's gateway\n" + script.Output, pollMs: 200);
            Console.WriteLine($"run-local: first chat completion {clock.ElapsedMilliseconds} ms after start (builds skipped)");

            var agents = Directory.GetFiles(Path.Combine(state, "clusters"), "cluster.json", SearchOption.AllDirectories)
                .Select(f => int.Parse(PidField().Match(File.ReadAllText(f)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(2, agents.Count);

            script.Signal(Signals.SigTerm);
            Assert.True(await script.WaitForExitAsync(TimeSpan.FromSeconds(60)), "run-local stopped\n" + script.Output);
            Assert.All(agents, pid => Assert.False(LocalClusters.IsAlive(pid), $"agent {pid} still runs"));
        }
        finally
        {
            await new LocalClusters(Path.Combine(state, "clusters")).DisposeAsync();
        }
    }

    [GeneratedRegex(@"OPENAI_API_KEY=(sk-cl-\S+)")]
    private static partial Regex ApiKey();

    [GeneratedRegex(@"""Pid"":(\d+)")]
    private static partial Regex PidField();
}
