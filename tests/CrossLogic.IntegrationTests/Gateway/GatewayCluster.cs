using System.ClientModel;
using System.ClientModel.Primitives;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;
using OpenAI;

namespace CrossLogic.IntegrationTests.Gateway;

/// <summary>
/// A control plane with its own database and agents that serve models on mock engines, each registered the way a
/// provisioner registers a node: engine endpoint and model on the node, the derived engine key in the agent's config.
/// </summary>
public sealed class GatewayCluster : IAsyncLifetime
{
    public const string Model = "gw-model";
    private readonly List<AgentProcess> _agents = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("crosslogic-gateway-").FullName;

    public TempPostgres Postgres { get; private set; } = null!;

    public ControlPlaneProcess ControlPlane { get; private set; } = null!;

    /// <summary>An API key of tenant `acme` with no limits.</summary>
    public string ApiKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Postgres = await TempPostgres.StartAsync();
        ControlPlane = await ControlPlaneProcess.StartAsync(Postgres.ConnectionString());
        (ApiKey, _) = await ControlPlane.CreateApiKeyAsync("acme");
        await Task.WhenAll(StartNodeAsync(Model), StartNodeAsync(Model));
        await WaitRoutedAsync(Model, 2);
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await ControlPlane.DisposeAsync();
        await Postgres.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Starts an agent whose mock engine serves <paramref name="model"/>; returns the node id and engine port.</summary>
    public async Task<(string NodeId, int EnginePort, AgentProcess Agent)> StartNodeAsync(
        string model, IReadOnlyDictionary<string, string>? mockEnvironment = null, int? registeredPort = null)
    {
        try
        {
            return await StartNodeOnceAsync(model, mockEnvironment, registeredPort);
        }
        catch (TimeoutException ex)
        {
            // A free port can be taken between choosing and binding on a busy machine; a fresh node gets fresh ports.
            Console.WriteLine("retrying a node start: " + ex.Message);
            return await StartNodeOnceAsync(model, mockEnvironment, registeredPort);
        }
    }

    private async Task<(string NodeId, int EnginePort, AgentProcess Agent)> StartNodeOnceAsync(
        string model, IReadOnlyDictionary<string, string>? mockEnvironment, int? registeredPort)
    {
        var nodeId = "gw-" + Guid.NewGuid().ToString("N")[..10];
        var engine = AgentProcess.MockEngine(Path.Combine(_dir, nodeId + ".log"), mockEnvironment, model);
        var (agent, port, _) = await ServingNode.StartAsync(ControlPlane, nodeId, model, engine, registeredPort);
        lock (_agents)
        {
            _agents.Add(agent);
        }

        try
        {
            await Eventually.TrueAsync(
                async () => (await ControlPlane.GetNodeAsync(nodeId)).State == Node.Types.State.Ready,
                TimeSpan.FromSeconds(40),
                $"node {nodeId} ready");
        }
        catch (TimeoutException)
        {
            Console.WriteLine($"node {nodeId} not ready; agent output:\n{agent.Process.Output}");
            throw;
        }

        return (nodeId, port, agent);
    }

    /// <summary>Waits until the gateway lists <paramref name="model"/> and answers for it.</summary>
    public async Task WaitRoutedAsync(string model, int requests = 1)
    {
        using var http = Http();
        await Eventually.TrueAsync(async () =>
        {
            for (var i = 0; i < requests; i++)
            {
                using var response = await http.PostAsync("chat/completions", Json($$"""{"model":"{{model}}","messages":[{"role":"user","content":"warm up"}],"max_tokens":1}"""));
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(20), $"gateway routes {model}");
    }

    /// <summary>The official OpenAI client pointed at the gateway, without client-side retries.</summary>
    public OpenAIClient OpenAi(string? key = null) => new(
        new ApiKeyCredential(key ?? ApiKey),
        new OpenAIClientOptions { Endpoint = new Uri(ControlPlane.GatewayUrl), RetryPolicy = new ClientRetryPolicy(0) });

    /// <summary>A plain HTTP client on the gateway (for exact status codes, headers and bodies).</summary>
    public HttpClient Http(string? key = "")
    {
        var http = new HttpClient { BaseAddress = new Uri(ControlPlane.GatewayUrl + "/") };
        var bearer = key == "" ? ApiKey : key;
        if (bearer is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return http;
    }

    public static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    /// <summary>Usage of a tenant, once the gateway has written at least <paramref name="requests"/> rows.</summary>
    public async Task<GetUsageResponse> UsageAsync(string tenant, long requests, string keyId = "")
    {
        GetUsageResponse usage = new();
        await Eventually.TrueAsync(async () =>
        {
            usage = await ControlPlane.Gateway.GetUsageAsync(new GetUsageRequest { Parent = "tenants/" + tenant, KeyId = keyId });
            return usage.Requests >= requests;
        }, TimeSpan.FromSeconds(10), $"{requests} usage rows of {tenant}");
        return usage;
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayCluster>
{
    public const string Name = "gateway";
}
