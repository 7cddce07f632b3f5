using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CrossLogic.Contracts.V1;
using CrossLogic.IntegrationTests.Faults;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Gateway;

/// <summary>A key's requests-per-minute limit with two control-plane replicas on one database: it holds across them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SharedRateLimitTests(PostgresFixture db) : IAsyncLifetime
{
    private const string Model = "limit-model";
    private readonly string _dir = Directory.CreateTempSubdirectory("crosslogic-limits-").FullName;
    private readonly List<IAsyncDisposable> _cleanup = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            await _cleanup[i].DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task What_one_replica_admitted_under_a_key_is_charged_on_the_other()
    {
        var database = "limits_" + Guid.NewGuid().ToString("N")[..8];
        await db.Postgres.CreateDatabaseAsync(database);
        var first = await StartControlPlaneAsync(db.Postgres.ConnectionString(database));
        var second = await StartControlPlaneAsync(db.Postgres.ConnectionString(database));
        var node = await FaultNode.StartAsync(first, _dir, Model);
        _cleanup.Add(node.Agent);
        var (warmUp, _) = await first.CreateApiKeyAsync("limits");
        await Eventually.TrueAsync(async () => await SendAsync(second, warmUp) == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the second replica routes to the first's node");

        var (key, _) = await first.CreateApiKeyAsync("limits", new ApiKey { RequestsPerMinute = 20 });
        // The second replica meets the key first; then the first uses up the rest of the key's minute.
        var since = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, await SendAsync(second, key));
        await Task.Delay(2_500); // its first exchange (once a second) takes the others' use so far, none, as its baseline
        for (var i = 0; i < 19; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(first, key));
        }

        // After an exchange or two the second has charged them: what it admits now is the refill (one request every 3 s).
        await Task.Delay(3_000);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add(await SendAsync(second, key));
        }

        // Unshared, the second would still hold 19 of its own 20 and admit all 10.
        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        var refilled = (int)(since.Elapsed.TotalSeconds / 3);
        Console.WriteLine($"admitted by the second replica after the first used the minute: {admitted} of 10 ({refilled} refilled in {since.Elapsed.TotalSeconds:F1} s)");
        Assert.InRange(admitted, 0, refilled + 1);
        Assert.All(statuses.Where(s => s != HttpStatusCode.OK), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    private async Task<ControlPlaneProcess> StartControlPlaneAsync(string connectionString)
    {
        var controlPlane = await ControlPlaneProcess.StartAsync(connectionString);
        _cleanup.Add(controlPlane);
        return controlPlane;
    }

    private static async Task<HttpStatusCode> SendAsync(ControlPlaneProcess controlPlane, string key)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, controlPlane.GatewayUrl + "/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{Model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":1}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
