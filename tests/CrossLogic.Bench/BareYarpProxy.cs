using System.Globalization;
using System.Net;
using CrossLogic.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace CrossLogic.Bench;

/// <summary>
/// YARP's forwarder and nothing else, in its own process, as a reference line of the gateway benchmark: the same
/// Kestrel and socket settings, the same upstream client, and no API key, body parsing, routing, rate limits, usage or
/// metrics. What separates the gateway from this line is the gateway's own work; what separates this line from direct
/// is the price of Kestrel, YARP and SocketsHttpHandler on this machine.
/// </summary>
internal sealed class BareYarpProxy : IAsyncDisposable
{
    private const string AllocatedPath = "/_bench/allocated-bytes";
    private readonly ChildProcess _process;

    private BareYarpProxy(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Managed bytes this proxy has allocated since it started.</summary>
    public async Task<double> AllocatedBytesAsync(HttpClient http) =>
        double.Parse(await http.GetStringAsync($"http://127.0.0.1:{Port}{AllocatedPath}"), CultureInfo.InvariantCulture);

    /// <summary>Starts this benchmark's own executable in `bare-proxy` mode, with the control plane's runtime settings.</summary>
    public static async Task<BareYarpProxy> StartAsync(int enginePort, IReadOnlyDictionary<string, string> runtimeSettings)
    {
        var port = FreePort.Next();
        // As the control plane runs: workstation concurrent GC, no thread-pool spinning, socket completions inline.
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DOTNET_gcServer"] = "0",
            ["DOTNET_gcConcurrent"] = "1",
            ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
            ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
        };
        foreach (var (key, value) in runtimeSettings.Where(s => s.Key.StartsWith("DOTNET_", StringComparison.Ordinal)))
        {
            environment[key] = value;
        }

        var process = ChildProcess.Start(
            "dotnet",
            [typeof(BareYarpProxy).Assembly.Location, "bare-proxy", "--port", port.ToString(CultureInfo.InvariantCulture), "--upstream", $"http://127.0.0.1:{enginePort}/"],
            environment);
        var proxy = new BareYarpProxy(process, port);
        try
        {
            using var http = new HttpClient();
            await Eventually.TrueAsync(
                async () =>
                {
                    using var response = await http.GetAsync($"http://127.0.0.1:{port}{AllocatedPath}");
                    return response.IsSuccessStatusCode;
                },
                TimeSpan.FromSeconds(30),
                "the bare YARP proxy listening",
                pollMs: 100);
            return proxy;
        }
        catch (TimeoutException ex)
        {
            var output = process.Output;
            await proxy.DisposeAsync();
            throw new InvalidOperationException($"{ex.Message}. Its output:\n{output}", ex);
        }
    }

    /// <summary>The proxy itself: `bare-proxy --port P --upstream http://127.0.0.1:E/`.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Args.Parse(args);
        var port = int.Parse(options.Get("--port", "0"), CultureInfo.InvariantCulture);
        var upstream = options.Get("--upstream", "");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        builder.Services.AddHttpForwarder();
        await using var app = builder.Build();
        using var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
        });
        var config = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        // The benchmark reads the proxy's allocations here (the gateway's come from its /metrics); all else is forwarded.
        app.Run(async context =>
        {
            if (context.Request.Path == AllocatedPath)
            {
                await context.Response.WriteAsync(GC.GetTotalAllocatedBytes().ToString(CultureInfo.InvariantCulture));
                return;
            }

            await forwarder.SendAsync(context, upstream, client, config, HttpTransformer.Default);
        });
        await app.RunAsync();
        return 0;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
