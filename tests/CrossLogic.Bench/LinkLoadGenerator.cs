using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace CrossLogic.Bench;

/// <summary>
/// Many simulated agents on real gRPC streams (run as its own process, so it does not share the control plane's runtime):
/// Hello, then one heartbeat per Welcome interval each, measuring heartbeat → acknowledgement latency.
/// </summary>
internal static class LinkLoadGenerator
{
    private const int StreamsPerChannel = 100;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Args.Parse(args);
        var url = options.Get("--url");
        var count = int.Parse(options.Get("--count"), CultureInfo.InvariantCulture);
        var seconds = int.Parse(options.Get("--seconds"), CultureInfo.InvariantCulture);
        var rampPerSecond = int.Parse(options.Get("--ramp-per-second", "2000"), CultureInfo.InvariantCulture);
        var credentials = File.ReadLines(options.Get("--tokens")).Take(count).Select(l => l.Split(' ')).ToList();
        if (credentials.Count < count)
        {
            throw new InvalidOperationException($"only {credentials.Count} node credentials for {count} streams");
        }

        var channels = Enumerable.Range(0, (count + StreamsPerChannel - 1) / StreamsPerChannel)
            .Select(_ => GrpcChannel.ForAddress(url, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
            }))
            .ToList();

        var run = new RunState();
        using var stop = new CancellationTokenSource();
        var streams = new List<Task>(count);
        var ramp = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var client = new NodeLink.NodeLinkClient(channels[i / StreamsPerChannel]);
            streams.Add(RunStreamAsync(client, credentials[i][0], credentials[i][1], run, stop.Token));
            var wait = TimeSpan.FromSeconds((double)(i + 1) / rampPerSecond) - ramp.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }

        // All streams dialed: wait for their Welcomes, let the load settle, then measure.
        var welcomeDeadline = Stopwatch.StartNew();
        while (Volatile.Read(ref run.Welcomed) < count && welcomeDeadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        var controlPlanePid = int.Parse(options.Get("--cp-pid", "0"), CultureInfo.InvariantCulture);
        var cpuBefore = (Self: Process.GetCurrentProcess().TotalProcessorTime, ControlPlane: ProcessStats.CpuTime(controlPlanePid));
        run.MeasureStart = Stopwatch.GetTimestamp();
        run.Measuring = true;
        var droppedBefore = Volatile.Read(ref run.Dropped);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        run.Measuring = false;
        var selfCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore.Self;
        var controlPlaneCpu = ProcessStats.CpuTime(controlPlanePid) - cpuBefore.ControlPlane;
        var droppedDuring = Volatile.Read(ref run.Dropped) - droppedBefore;
        var totalDropped = Volatile.Read(ref run.Dropped);
        await stop.CancelAsync();
        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);

        var result = new Dictionary<string, object>
        {
            ["streams"] = count,
            ["welcomed"] = run.Welcomed,
            ["dropped"] = totalDropped,
            ["dropped_while_measuring"] = droppedDuring,
            ["acks"] = run.Latency.Count,
            ["expected_acks"] = (long)count * seconds,
            ["p50_ms"] = run.Latency.Percentile(50),
            ["p99_ms"] = run.Latency.Percentile(99),
            ["max_ms"] = run.Latency.Percentile(100),
            ["p99_ms_per_5s"] = string.Join(' ', run.Windows.Where(w => w.Count > 0).Select(w => w.Percentile(99).ToString("0.#", CultureInfo.InvariantCulture))),
            // CPU cost per heartbeat round trip, steadier than latency on a shared box.
            ["controlplane_cpu_us_per_heartbeat"] = Math.Round(controlPlaneCpu.TotalMicroseconds / Math.Max(1, run.Latency.Count)),
            ["loadgen_cpu_us_per_heartbeat"] = Math.Round(selfCpu.TotalMicroseconds / Math.Max(1, run.Latency.Count)),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        return 0;
    }

    private static async Task RunStreamAsync(NodeLink.NodeLinkClient client, string nodeId, string token, RunState run, CancellationToken stop)
    {
        var sentAt = new long[64];
        try
        {
            using var call = client.Attach(new Metadata { { "authorization", "Bearer " + token } }, cancellationToken: stop);
            await call.RequestStream.WriteAsync(new AgentMessage
            {
                Hello = new Hello
                {
                    NodeId = nodeId,
                    BootId = "bench",
                    AgentVersion = "bench",
                    Host = new HostFacts { Hostname = nodeId, CpuCount = 8, MemoryBytes = 1L << 35 },
                    AgentStartTime = Timestamp.FromDateTime(DateTime.UtcNow),
                },
            }, stop);
            if (!await call.ResponseStream.MoveNext(stop) || call.ResponseStream.Current.Welcome is not { } welcome)
            {
                Interlocked.Increment(ref run.Dropped);
                return;
            }

            Interlocked.Increment(ref run.Welcomed);
            var interval = welcome.HeartbeatInterval.ToTimeSpan();
            var reader = ReadAcksAsync(call.ResponseStream, sentAt, run, stop);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds), stop);
            using var timer = new PeriodicTimer(interval);
            ulong sequence = 0;
            do
            {
                sequence++;
                Volatile.Write(ref sentAt[sequence % 64], Stopwatch.GetTimestamp());
                await call.RequestStream.WriteAsync(new AgentMessage { Heartbeat = new Heartbeat { Sequence = sequence, SentTime = Timestamp.FromDateTime(DateTime.UtcNow) } }, stop);
            }
            while (await timer.WaitForNextTickAsync(stop) && !reader.IsCompleted);

            if (reader.IsCompleted && !stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref run.Dropped);
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            Interlocked.Increment(ref run.Dropped);
        }
    }

    private static async Task ReadAcksAsync(IAsyncStreamReader<ControlMessage> responses, long[] sentAt, RunState run, CancellationToken stop)
    {
        while (await responses.MoveNext(stop))
        {
            if (responses.Current.HeartbeatAck is { } ack && run.Measuring)
            {
                var sent = Volatile.Read(ref sentAt[ack.Sequence % 64]);
                var latency = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                run.Latency.Record(latency);
                run.Windows[Math.Min(run.Windows.Length - 1, (int)(Stopwatch.GetElapsedTime(run.MeasureStart).TotalSeconds / 5))].Record(latency);
            }
        }
    }

    private sealed class RunState
    {
        public readonly LatencyHistogram Latency = new();
        public readonly LatencyHistogram[] Windows = Enumerable.Range(0, 24).Select(_ => new LatencyHistogram()).ToArray();
        public long MeasureStart;
        public int Welcomed;
        public long Dropped;
        public volatile bool Measuring;
    }
}
