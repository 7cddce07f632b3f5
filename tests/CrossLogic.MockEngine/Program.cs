using System.Net;
using System.Net.Sockets;
using CrossLogic.MockEngine;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Out.WriteLine(EngineArgs.Usage);
    return 0;
}

if (!EngineArgs.TryParse(args, out var engine, out var argsError))
{
    Console.Error.WriteLine(EngineArgs.Usage);
    Console.Error.WriteLine($"crosslogic-mock-engine serve: error: {argsError}");
    return 2;
}

if (!MockBehaviour.TryRead(Environment.GetEnvironmentVariable, out var behaviour, out var envError))
{
    Console.Error.WriteLine($"crosslogic-mock-engine: {envError}");
    return 2;
}

// Like vLLM, the key may also come from VLLM_API_KEY.
var apiKey = engine.ApiKey ?? (Environment.GetEnvironmentVariable("VLLM_API_KEY") is { Length: > 0 } fromEnv ? fromEnv : null);

var time = TimeProvider.System;
var metrics = new EngineMetrics(engine.ServedModelName, behaviour.KvCachePerRequest);
var faults = new Faults(behaviour, time);
var gate = new InferenceGate(engine, faults);
var completions = new Completions(engine, gate, faults, metrics, new TokenGenerator(behaviour, metrics, time), time);
var embeddings = new Embeddings(gate, faults, metrics, time);
var models = new Models(engine, time);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
// vLLM cuts in-flight requests on SIGTERM; the agent drains before it signals.
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(1));
try
{
    var addresses = ResolveHost(engine.Host, engine.Port);
    builder.WebHost.ConfigureKestrel(kestrel =>
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes;
        foreach (var address in addresses)
        {
            kestrel.Listen(address, engine.Port);
        }
    });
}
catch (SocketException e)
{
    Console.Error.WriteLine($"crosslogic-mock-engine serve: error: cannot resolve --host {engine.Host}: {e.Message}");
    return 2;
}

var app = builder.Build();
app.UseRequestLog(time);
app.UseVllmApiKey(apiKey);
app.MapGet("/health", context =>
{
    context.Response.StatusCode = faults.EngineDead ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK;
    return Task.CompletedTask;
});
app.MapGet("/metrics", context =>
{
    context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
    return context.Response.WriteAsync(metrics.Render(), context.RequestAborted);
});
app.MapGet("/v1/models", context => models.ListAsync(context));
app.MapPost("/v1/chat/completions", context => completions.ChatAsync(context));
app.MapPost("/v1/completions", context => completions.TextAsync(context));
app.MapPost("/v1/embeddings", context => embeddings.HandleAsync(context));
app.MapFallback(context =>
{
    context.Response.StatusCode = StatusCodes.Status404NotFound;
    return JsonResponse.WriteAsync(context.Response, new FastApiDetail("Not Found"), WireJson.Relaxed.FastApiDetail, context.RequestAborted);
});

// Weights "load" before the port opens: until then a client gets connection refused, as from vLLM.
Console.Out.WriteLine(
    $"mock engine loading {engine.Model} (tensor_parallel_size={engine.TensorParallelSize}, max_model_len={engine.MaxModelLen}) " +
    $"for {behaviour.LoadDelay.TotalMilliseconds} ms");
await Task.Delay(behaviour.LoadDelay, time);

try
{
    await app.StartAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"crosslogic-mock-engine: cannot listen on {engine.Host}:{engine.Port}: {e.Message}");
    return 1;
}

faults.MarkServing();
var port = app.Urls.Select(url => new Uri(url).Port).FirstOrDefault(engine.Port);
app.Lifetime.ApplicationStopping.Register(() =>
    Console.Out.WriteLine($"mock engine shutting down (signal received, {metrics.Running} requests in flight are cut)"));
Console.Out.WriteLine($"mock engine serving {engine.ServedModelName} on {engine.Host}:{port}");

await app.WaitForShutdownAsync();
await app.DisposeAsync();
Console.Out.WriteLine("mock engine stopped");
return 0;

// "localhost" means both loopbacks, as uvicorn binds it; a dynamic port (0) can bind only one address.
static IPAddress[] ResolveHost(string host, int port)
{
    if (IPAddress.TryParse(host, out var address))
    {
        return [address];
    }

    if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
    {
        return port == 0 || !Socket.OSSupportsIPv6 ? [IPAddress.Loopback] : [IPAddress.Loopback, IPAddress.IPv6Loopback];
    }

    return [Dns.GetHostAddresses(host)[0]];
}
