using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using CrossLogic.Contracts.V1;
using CrossLogic.Testing;

namespace CrossLogic.Bench;

/// <summary>
/// The gateway's cost: the same non-streaming chat request sent straight to a mock engine, through the gateway, through
/// YARP's bare forwarder, and through nginx `proxy_pass` (where nginx is installed), side by side in one run. Fixed
/// rates (open loop) give the added latency; a closed loop at saturation gives the throughput ratio. Everything shares
/// this machine's cores.
/// </summary>
internal static class GatewayBench
{
    private const string FastModel = "bench-fast";
    private const string SlowModel = "bench-slow";
    private const string JitCompiledMethods = "dotnet_jit_compiled_methods_total";
    private const string AllocatedBytes = "dotnet_gc_heap_total_allocated_bytes_total";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Args.Parse(args);
        var seconds = int.Parse(options.Get("--seconds", "10"), CultureInfo.InvariantCulture);
        var rates = options.Get("--rates", "500,2000").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        var workers = int.Parse(options.Get("--workers", "32"), CultureInfo.InvariantCulture);
        var referenceKinds = options.Get("--references", string.Join(',', ReferenceProxy.Kinds)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var dir = Directory.CreateTempSubdirectory("crosslogic-bench-gateway-").FullName;
        await using var postgres = await TempPostgres.StartAsync();
        var gatewaySettings = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_GCgen0size"] = "0x10000000",
        };
        foreach (var setting in (Environment.GetEnvironmentVariable("BENCH_GATEWAY_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            gatewaySettings[setting[..setting.IndexOf('=')]] = setting[(setting.IndexOf('=') + 1)..];
        }

        await using var controlPlane = await ControlPlaneProcess.StartAsync(postgres.ConnectionString(), gatewaySettings);
        var (apiKey, _) = await controlPlane.CreateApiKeyAsync("bench");

        // An engine that answers at once (the proxies' own cost dominates), and one that takes 20 ms per request as a
        // GPU-bound engine does (the engine bounds throughput, as in production).
        var (fastPort, fastKey, fastAgent) = await StartNodeAsync(controlPlane, dir, FastModel, "1000000");
        var (slowPort, slowKey, slowAgent) = await StartNodeAsync(controlPlane, dir, SlowModel, "200");
        await using var _1 = fastAgent;
        await using var _2 = slowAgent;
        var nginx = NginxProxy.TryStart(dir, fastPort);
        var references = new Dictionary<string, ReferenceProxy>(StringComparer.Ordinal);
        try
        {
            foreach (var kind in referenceKinds)
            {
                references[kind] = await ReferenceProxy.StartAsync(kind, fastPort, gatewaySettings);
            }

            var direct = new Target("direct", $"http://127.0.0.1:{fastPort}/v1/chat/completions", fastKey);
            var gateway = new Target("gateway", controlPlane.GatewayUrl + "/chat/completions", apiKey);
            var targets = new List<Target> { direct, gateway };
            targets.AddRange(references.Select(r => new Target(r.Key, $"http://127.0.0.1:{r.Value.Port}/v1/chat/completions", fastKey)));
            if (nginx is not null)
            {
                targets.Add(new Target("nginx", $"http://127.0.0.1:{nginx.Port}/v1/chat/completions", fastKey));
            }

            var proxies = targets.Skip(1).ToList();
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, UseProxy = false });
            await WarmUpAsync(http, targets, controlPlane);

            foreach (var rate in rates)
            {
                var results = new Dictionary<string, LatencyHistogram>();
                foreach (var target in targets)
                {
                    var cpuBefore = CpuByProcess.Sample();
                    var (histogram, lateness, errors) = await FixedRateAsync(http, target, rate, TimeSpan.FromSeconds(seconds));
                    var cpuUsed = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
                    CpuByProcess.AddUsedSince(cpuBefore, cpuUsed);
                    PrintCpu($"{target.Name}_cpu_us_per_request", $"_{rate}rps", cpuUsed, histogram.Count);
                    results[target.Name] = histogram;
                    Print($"{target.Name}_p50_ms_{rate}rps", histogram.Percentile(50));
                    Print($"{target.Name}_p99_ms_{rate}rps", histogram.Percentile(99));
                    Print($"{target.Name}_errors_{rate}rps", errors);
                    Print($"{target.Name}_dispatch_late_p99_ms_{rate}rps", lateness.Percentile(99));
                }

                var suffix = rate == 500 ? "" : $"_{rate}rps";
                foreach (var proxy in proxies)
                {
                    Print($"{proxy.Name}_p50_added_ms{suffix}", results[proxy.Name].Percentile(50) - results["direct"].Percentile(50));
                    Print($"{proxy.Name}_p99_added_ms{suffix}", results[proxy.Name].Percentile(99) - results["direct"].Percentile(99));
                }
            }

            // Saturation: the targets take turns, three rounds each, so a slow moment of this shared machine (another
            // process, a GC) falls on all of them rather than on one.
            var requests = targets.ToDictionary(t => t.Name, _ => 0L);
            var elapsed = targets.ToDictionary(t => t.Name, _ => TimeSpan.Zero);
            var cpu = targets.ToDictionary(t => t.Name, _ => new Dictionary<string, TimeSpan>(StringComparer.Ordinal));
            var allocated = new[] { "gateway" }.Concat(references.Keys).ToDictionary(name => name, _ => 0.0);
            Task<double> AllocatedBytesAsync(string target) =>
                target == "gateway" ? GatewayMetricAsync(http, controlPlane, AllocatedBytes)
                : references.TryGetValue(target, out var reference) ? reference.AllocatedBytesAsync(http)
                : Task.FromResult(0.0);

            for (var round = 0; round < 3; round++)
            {
                foreach (var target in targets)
                {
                    var cpuBefore = CpuByProcess.Sample();
                    var allocatedBefore = await AllocatedBytesAsync(target.Name);
                    var (done, took) = await ClosedLoopAsync(http, target, FastModel, workers, TimeSpan.FromSeconds(seconds / 3.0));
                    CpuByProcess.AddUsedSince(cpuBefore, cpu[target.Name]);
                    if (allocated.ContainsKey(target.Name))
                    {
                        allocated[target.Name] += await AllocatedBytesAsync(target.Name) - allocatedBefore;
                    }

                    requests[target.Name] += done;
                    elapsed[target.Name] += took;
                }
            }

            var saturated = targets.ToDictionary(t => t.Name, t => requests[t.Name] / elapsed[t.Name].TotalSeconds);
            foreach (var target in targets)
            {
                Print($"{target.Name}_max_rps", saturated[target.Name]);
                PrintCpu($"{target.Name}_cpu_us_per_request", "", cpu[target.Name], requests[target.Name]);
            }

            // Managed memory each .NET proxy allocated per request: the GC work behind each request.
            foreach (var (name, bytes) in allocated)
            {
                Print($"{name}_allocated_bytes_per_request", bytes / Math.Max(1, requests[name]));
            }

            foreach (var proxy in proxies)
            {
                Print($"{proxy.Name}_throughput_ratio", saturated[proxy.Name] / saturated["direct"]);
            }

            if (nginx is null)
            {
                Print("nginx_throughput_ratio", double.NaN);
            }

            // Engine-bound: 20 ms per request, 64 in flight.
            var slowDirect = new Target("direct", $"http://127.0.0.1:{slowPort}/v1/chat/completions", slowKey);
            var directBound = Rate(await ClosedLoopAsync(http, slowDirect, SlowModel, 64, TimeSpan.FromSeconds(seconds), maxTokens: 4));
            var gatewayBound = Rate(await ClosedLoopAsync(http, gateway, SlowModel, 64, TimeSpan.FromSeconds(seconds), maxTokens: 4));
            Print("direct_engine_bound_rps", directBound);
            Print("gateway_engine_bound_rps", gatewayBound);
            Print("gateway_throughput_ratio_engine_bound", gatewayBound / directBound);
        }
        finally
        {
            foreach (var reference in references.Values)
            {
                await reference.DisposeAsync();
            }

            nginx?.Dispose();
            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static async Task<(int Port, string EngineKey, AgentProcess Agent)> StartNodeAsync(ControlPlaneProcess controlPlane, string dir, string model, string tokensPerSecond)
    {
        var nodeId = "bench-" + model;
        var engine = AgentProcess.MockEngine(Path.Combine(dir, model + ".log"), new Dictionary<string, string> { ["MOCK_ENGINE_TOKENS_PER_SECOND"] = tokensPerSecond }, model);
        engine["ScrapeIntervalMs"] = 1000;
        var (agent, port, engineKey) = await ServingNode.StartAsync(controlPlane, nodeId, model, engine);
        await Eventually.TrueAsync(async () => (await controlPlane.GetNodeAsync(nodeId)).State == Node.Types.State.Ready, TimeSpan.FromSeconds(60), model + " ready");
        return (port, engineKey, agent);
    }

    /// <summary>
    /// Load every target until the gateway has stopped compiling hot code (the runtime's tiered JIT, with dynamic PGO,
    /// recompiles hot methods for tens of seconds after start; the control plane's /metrics counts them), so the
    /// figures describe a gateway in its steady state, as one that has run for hours is. Gives up after 180 s and says so.
    /// </summary>
    private static async Task WarmUpAsync(HttpClient http, IReadOnlyList<Target> targets, ControlPlaneProcess controlPlane)
    {
        var started = Stopwatch.GetTimestamp();
        var quietRounds = 0;
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(180))
        {
            var before = await GatewayMetricAsync(http, controlPlane, JitCompiledMethods);
            foreach (var target in targets)
            {
                await ClosedLoopAsync(http, target, FastModel, 8, TimeSpan.FromSeconds(1));
                await FixedRateAsync(http, target, 500, TimeSpan.FromSeconds(1));
            }

            var compiled = await GatewayMetricAsync(http, controlPlane, JitCompiledMethods) - before;
            Console.Error.WriteLine($"warm-up: the gateway compiled {compiled} methods in the last round");
            quietRounds = compiled < 50 ? quietRounds + 1 : 0;
            if (quietRounds == 2)
            {
                Print("warm_up_s", Stopwatch.GetElapsedTime(started).TotalSeconds);
                return;
            }
        }

        Console.Error.WriteLine("warm-up: the gateway was still compiling methods after 180 s; the figures may include it");
        Print("warm_up_s", Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>A counter from the control plane's /metrics (the runtime's figures, through OpenTelemetry).</summary>
    private static async Task<double> GatewayMetricAsync(HttpClient http, ControlPlaneProcess controlPlane, string name)
    {
        var metrics = await http.GetStringAsync(controlPlane.HttpUrl + "/metrics");
        var line = metrics.Split('\n').First(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private static HttpRequestMessage Request(Target target, string model, int maxTokens)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(
                $$"""{"model":"{{model}}","messages":[{"role":"user","content":"What is the capital of France?"}],"max_tokens":{{maxTokens}}}""")),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Key);
        return request;
    }

    private static async Task<bool> SendAsync(HttpClient http, Target target, string model, int maxTokens)
    {
        try
        {
            using var request = Request(target, model, maxTokens);
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>
    /// Open loop: a dedicated thread starts each request on schedule whatever the answers do. Latency runs from the
    /// moment the request is handed to the client, so the dispatcher's own timer lateness (a thread sleep is about a
    /// millisecond here, <c>Task.Delay</c> several) is not charged to the server; that lateness is reported apart.
    /// </summary>
    private static async Task<(LatencyHistogram Histogram, LatencyHistogram Lateness, long Errors)> FixedRateAsync(HttpClient http, Target target, int rate, TimeSpan duration)
    {
        var histogram = new LatencyHistogram();
        var lateness = new LatencyHistogram();
        long errors = 0;
        var inFlight = new List<Task>();
        var dispatcher = new Thread(() =>
        {
            var start = Stopwatch.GetTimestamp();
            for (long sent = 0; Stopwatch.GetElapsedTime(start) < duration;)
            {
                var due = (long)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate);
                for (; sent < due; sent++)
                {
                    var scheduled = start + (long)(sent * (double)Stopwatch.Frequency / rate);
                    lateness.Record(Stopwatch.GetElapsedTime(scheduled).TotalMilliseconds);
                    inFlight.Add(TimedSendAsync());
                }

                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "open-loop dispatcher" };
        dispatcher.Start();
        await Task.Run(dispatcher.Join);
        await Task.WhenAll(inFlight);
        return (histogram, lateness, errors);

        async Task TimedSendAsync()
        {
            var sending = Stopwatch.GetTimestamp();
            var ok = await SendAsync(http, target, FastModel, 1);
            histogram.Record(Stopwatch.GetElapsedTime(sending).TotalMilliseconds);
            if (!ok)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }

    /// <summary>Closed loop: <paramref name="workers"/> requests always in flight; returns the successful requests and the time taken.</summary>
    private static async Task<(long Done, TimeSpan Elapsed)> ClosedLoopAsync(HttpClient http, Target target, string model, int workers, TimeSpan duration, int maxTokens = 1)
    {
        long done = 0;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetElapsedTime(start) < duration)
            {
                if (await SendAsync(http, target, model, maxTokens))
                {
                    Interlocked.Increment(ref done);
                }
            }
        })));
        return (done, Stopwatch.GetElapsedTime(start));
    }

    private static double Rate((long Done, TimeSpan Elapsed) run) => run.Done / run.Elapsed.TotalSeconds;

    /// <summary>Where each request's CPU went, per kind of process (all of them share this machine's cores).</summary>
    private static void PrintCpu(string prefix, string suffix, Dictionary<string, TimeSpan> used, long requests)
    {
        foreach (var (group, time) in used.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var micros = time.TotalMicroseconds / Math.Max(1, requests);
            if (micros >= 1)
            {
                Print($"{prefix}_{group}{suffix}", micros);
            }
        }
    }

    private static void Print(string key, double value) =>
        Console.WriteLine($"{key}: {(double.IsNaN(value) ? "n/a" : value.ToString("0.###", CultureInfo.InvariantCulture))}");

    private sealed record Target(string Name, string Url, string Key);
}
