using System.Globalization;
using System.Net;
using System.Text;
using CrossLogic.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace CrossLogic.Bench;

/// <summary>
/// A reference line of the gateway benchmark: a proxy in its own process with the control plane's runtime settings,
/// and none of the gateway's work (no API key, body parsing, routing, rate limits, usage or metrics). Three kinds:
/// <list type="bullet">
/// <item><c>yarp</c>: YARP's <see cref="IHttpForwarder"/> on Kestrel with the gateway's upstream client, as the
/// gateway forwards streaming requests.</item>
/// <item><c>kestrel_client</c>: a Kestrel handler that reads the body, sends it with the same
/// <see cref="SocketsHttpHandler"/> and writes the whole answer back in one write, as the gateway forwards any
/// other request (<c>EngineExchange</c>).</item>
/// <item><c>raw_socket</c>: <see cref="RawSocketProxy"/>, HTTP/1.1 handled by hand on .NET sockets; the floor for a
/// .NET proxy on this machine.</item>
/// <item><c>kestrel_raw_client</c> and <c>raw_server_httpclient</c>: <c>kestrel_client</c> with one half replaced by
/// <c>raw_socket</c>'s (the engine's side, then the client's), which splits its cost between Kestrel and .NET's HTTP
/// client.</item>
/// </list>
/// From direct to a line is the price of that stack here; from <c>kestrel_client</c> to the gateway is the gateway's
/// own work.
/// </summary>
internal sealed class ReferenceProxy : IAsyncDisposable
{
    private const string AllocatedPath = "/_bench/allocated-bytes";
    private readonly ChildProcess _process;

    private ReferenceProxy(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public static readonly string[] Kinds = ["yarp", "kestrel_client", "raw_socket", "kestrel_raw_client", "raw_server_httpclient"];

    public int Port { get; }

    /// <summary>Managed bytes this proxy has allocated since it started.</summary>
    public async Task<double> AllocatedBytesAsync(HttpClient http) =>
        double.Parse(await http.GetStringAsync($"http://127.0.0.1:{Port}{AllocatedPath}"), CultureInfo.InvariantCulture);

    /// <summary>Starts this benchmark's own executable in `reference-proxy` mode, with the control plane's runtime settings.</summary>
    public static async Task<ReferenceProxy> StartAsync(string kind, int enginePort, IReadOnlyDictionary<string, string> runtimeSettings)
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
            [typeof(ReferenceProxy).Assembly.Location, "reference-proxy", kind, "--port", port.ToString(CultureInfo.InvariantCulture), "--upstream", $"http://127.0.0.1:{enginePort}/"],
            environment);
        var proxy = new ReferenceProxy(process, port);
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
                $"the {kind} reference proxy listening",
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

    /// <summary>The proxy itself: `reference-proxy KIND --port P --upstream http://127.0.0.1:E/`.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var kind = args.FirstOrDefault() ?? "";
        var options = Args.Parse(args[1..]);
        var port = int.Parse(options.Get("--port", "0"), CultureInfo.InvariantCulture);
        var upstream = new Uri(options.Get("--upstream", ""));
        if (kind == "raw_socket")
        {
            await RawSocketProxy.RunAsync(port, upstream, AllocatedPath);
            return 0;
        }

        if (kind == "raw_server_httpclient")
        {
            using var httpClient = EngineClient();
            await RawSocketProxy.RunWithHttpClientAsync(port, upstream, AllocatedPath, httpClient);
            return 0;
        }

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
        using var client = EngineClient();
        RequestDelegate forward = kind switch
        {
            "yarp" => ForwardWithYarp(app.Services.GetRequiredService<IHttpForwarder>(), client, upstream),
            "kestrel_client" => context => ExchangeAsync(context, client, upstream),
            "kestrel_raw_client" => ForwardWithRawClient(RawSocketProxy.RawClient(upstream), upstream),
            _ => throw new ArgumentException($"unknown reference proxy '{kind}' (one of {string.Join(", ", Kinds)})"),
        };

        // The benchmark reads the proxy's allocations here (the gateway's come from its /metrics); all else is forwarded.
        app.Run(async context =>
        {
            if (context.Request.Path == AllocatedPath)
            {
                await context.Response.WriteAsync(GC.GetTotalAllocatedBytes().ToString(CultureInfo.InvariantCulture));
                return;
            }

            await forward(context);
        });
        await app.RunAsync();
        return 0;
    }

    /// <summary>.NET's HTTP client as the gateway sets it up for engines: no proxy, redirects, decompression, cookies or trace headers.</summary>
    private static HttpMessageInvoker EngineClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
    });

    private static RequestDelegate ForwardWithYarp(IHttpForwarder forwarder, HttpMessageInvoker client, Uri upstream)
    {
        var config = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var destination = upstream.ToString();
        return async context => await forwarder.SendAsync(context, destination, client, config, HttpTransformer.Default);
    }

    /// <summary>As <see cref="ExchangeAsync"/>, with the request written and the answer read by hand.</summary>
    private static RequestDelegate ForwardWithRawClient(RawSocketProxy.Exchange exchange, Uri upstream)
    {
        var hostHeader = $"Host: {upstream.Authority}\r\n";
        return async context =>
        {
            var length = (int)(context.Request.ContentLength ?? 0);
            var head = Encoding.ASCII.GetBytes(
                $"POST {context.Request.Path.Value} HTTP/1.1\r\n{hostHeader}Content-Type: {context.Request.ContentType}\r\nAuthorization: {context.Request.Headers.Authorization}\r\nContent-Length: {length}\r\n\r\n");
            var request = new byte[head.Length + length];
            head.CopyTo(request, 0);
            await context.Request.Body.ReadExactlyAsync(request.AsMemory(head.Length), context.RequestAborted);
            var (answer, release) = await exchange(request);
            try
            {
                var headersEnd = answer.Span.IndexOf("\r\n\r\n"u8);
                var answerHead = Encoding.ASCII.GetString(answer.Span[..headersEnd]);
                context.Response.StatusCode = int.Parse(answerHead.AsSpan(9, 3), CultureInfo.InvariantCulture);
                context.Response.ContentType = RawSocketProxy.Header(answerHead, "content-type");
                context.Response.ContentLength = answer.Length - headersEnd - 4;
                await context.Response.Body.WriteAsync(answer[(headersEnd + 4)..], context.RequestAborted);
            }
            finally
            {
                release();
            }
        };
    }

    /// <summary>The body read whole, sent in one request, the answer read whole and written in one write.</summary>
    private static async Task ExchangeAsync(HttpContext context, HttpMessageInvoker client, Uri upstream)
    {
        var body = new byte[(int)(context.Request.ContentLength ?? 0)];
        await context.Request.Body.ReadExactlyAsync(body, context.RequestAborted);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream, context.Request.Path.Value))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
        request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        using var response = await client.SendAsync(request, context.RequestAborted);
        var answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        context.Response.ContentLength = answer.Length;
        await context.Response.Body.WriteAsync(answer, context.RequestAborted);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
