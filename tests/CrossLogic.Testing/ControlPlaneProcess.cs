using CrossLogic.Contracts.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace CrossLogic.Testing;

/// <summary>The real control plane (`dotnet crosslogic-controlplane.dll`) on free loopback ports.</summary>
public sealed class ControlPlaneProcess : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789abcdef";
    public const string EngineKeySecret = "test-engine-key-secret-0123456789abcdef";
    private readonly Dictionary<string, string> _environment;
    private ChildProcess? _process;
    private GrpcChannel? _channel;

    private ControlPlaneProcess(Dictionary<string, string> environment, int grpcPort, int httpPort, int gatewayPort)
    {
        _environment = environment;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        GatewayPort = gatewayPort;
    }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public string GrpcUrl => $"http://127.0.0.1:{GrpcPort}";

    public string HttpUrl => $"http://127.0.0.1:{HttpPort}";

    public int GatewayPort { get; }

    /// <summary>The OpenAI-compatible API's base address (`…/v1`).</summary>
    public string GatewayUrl => $"http://127.0.0.1:{GatewayPort}/v1";

    public ChildProcess Process => _process ?? throw new InvalidOperationException("not started");

    /// <summary>A channel to the gRPC port; Fleet calls on it carry the admin token.</summary>
    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(GrpcUrl);

    public Fleet.FleetClient Fleet => new(AdminInvoker);

    /// <summary>The gateway's admin API (API keys, usage) with the admin token.</summary>
    public Gateway.GatewayClient Gateway => new(AdminInvoker);

    /// <summary>Calls on the gRPC port with the admin token.</summary>
    private CallInvoker AdminInvoker => Channel.Intercept(metadata =>
    {
        metadata.Add("authorization", "Bearer " + AdminToken);
        return metadata;
    });

    /// <param name="grpcPort">The gRPC port, when the settings must name it (a provisioner tells agents where to dial).</param>
    public static async Task<ControlPlaneProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null, bool waitUntilServing = true, int? grpcPort = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var controlPlane = Create(connectionString, settings, grpcPort ?? FreePort.Next());
            try
            {
                await controlPlane.StartAsync(waitUntilServing);
                return controlPlane;
            }
            catch (InvalidOperationException) when (attempt < 3 && controlPlane.Process.Output.Contains("address already in use", StringComparison.Ordinal))
            {
                // A port picked as free was taken before the control plane bound it (a busy machine): fresh ports.
                await controlPlane.DisposeAsync();
            }
        }
    }

    private static ControlPlaneProcess Create(string connectionString, IReadOnlyDictionary<string, string>? settings, int grpcPort)
    {
        var httpPort = FreePort.Next();
        var gatewayPort = FreePort.Next();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Auth__AdminToken"] = AdminToken,
            ["ControlPlane__ListenAddress"] = "127.0.0.1",
            ["ControlPlane__GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ControlPlane__HttpPort"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ControlPlane__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway__EngineKeySecret"] = EngineKeySecret,
            ["Link__FlushIntervalMs"] = "200",
            // As the container runs it (packaging/Containerfile): a large gen0 budget, so GC pauses are rare.
            ["DOTNET_GCgen0size"] = "0x10000000",
            ["Logging__LogLevel__Default"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return new ControlPlaneProcess(environment, grpcPort, httpPort, gatewayPort);
    }

    /// <summary>Starts (again) on the same ports and database.</summary>
    public async Task StartAsync(bool waitUntilServing = true)
    {
        _process = ChildProcess.Start("dotnet", [RepoPaths.ControlPlaneDll], _environment);
        if (waitUntilServing)
        {
            await WaitUntilServingAsync(TimeSpan.FromSeconds(60));
        }
    }

    public async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException("the control plane exited while starting:\n" + Process.Output);
            }

            try
            {
                if ((await http.GetAsync(HttpUrl + "/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(50);
        }

        // The output as it is now, not as it was when the wait began.
        throw new TimeoutException($"Not within {timeout.TotalMilliseconds} ms: control plane serving (last error: {last})\nOutput:\n{Process.Output}");
    }

    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Registers a node through the admin API; returns its token.</summary>
    public async Task<string> CreateNodeAsync(string nodeId, string probeEndpoint = "")
    {
        var response = await Fleet.CreateNodeAsync(new CreateNodeRequest { NodeId = nodeId, Node = new Node { ProbeEndpoint = probeEndpoint } });
        return response.Token;
    }

    /// <summary>Registers a node that serves <paramref name="model"/> at <paramref name="engineEndpoint"/>; returns the response
    /// with the node token and the engine key.</summary>
    public async Task<CreateNodeResponse> CreateServingNodeAsync(string nodeId, string model, string engineEndpoint) =>
        await Fleet.CreateNodeAsync(new CreateNodeRequest { NodeId = nodeId, Node = new Node { Model = model, EngineEndpoint = engineEndpoint } });

    /// <summary>Mints an API key for a tenant; returns the secret and the key's id.</summary>
    public async Task<(string Key, string KeyId)> CreateApiKeyAsync(string tenant, ApiKey? spec = null)
    {
        var response = await Gateway.CreateApiKeyAsync(new CreateApiKeyRequest { Parent = "tenants/" + tenant, ApiKey = spec ?? new ApiKey() });
        return (response.Key, response.ApiKey.KeyId);
    }

    public async Task<Node> GetNodeAsync(string nodeId) => await Fleet.GetNodeAsync(new GetNodeRequest { Name = "nodes/" + nodeId });

    public async Task<IReadOnlyList<NodeEventRecord>> EventsAsync(string nodeId) =>
        (await Fleet.ListNodeEventsAsync(new ListNodeEventsRequest { Parent = "nodes/" + nodeId, PageSize = 1000 })).Events;

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
