using System.Globalization;
using System.Text;

namespace CrossLogic.MockEngine;

/// <summary>Live engine counters, rendered as the `vllm:*` Prometheus series the router reads.</summary>
internal sealed class EngineMetrics(string modelName, double kvCachePerRequest)
{
    private long _running;
    private long _promptTokens;
    private long _generationTokens;
    private long _finishedStop;
    private long _finishedLength;

    public long Running => Interlocked.Read(ref _running);

    /// <summary>A request enters the running batch with its prompt prefilled; dispose the result when it leaves.</summary>
    public RunningRequest Start(int promptTokens)
    {
        Interlocked.Increment(ref _running);
        Interlocked.Add(ref _promptTokens, promptTokens);
        return new RunningRequest(this);
    }

    public void TokenGenerated() => Interlocked.Increment(ref _generationTokens);

    public void Finished(FinishReason reason)
    {
        if (reason == FinishReason.Length)
        {
            Interlocked.Increment(ref _finishedLength);
        }
        else
        {
            Interlocked.Increment(ref _finishedStop);
        }
    }

    public string Render()
    {
        var labels = $"engine=\"0\",model_name=\"{Escape(modelName)}\"";
        var running = Running;
        var text = new StringBuilder(2048);
        Series(text, "vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", labels, running);
        Series(text, "vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", labels, 0);
        Series(text, "vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", labels, Math.Min(1, running * kvCachePerRequest));
        Series(text, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", labels, Interlocked.Read(ref _promptTokens));
        Series(text, "vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", labels, Interlocked.Read(ref _generationTokens));
        Header(text, "vllm:request_success_total", "counter", "Count of successfully processed requests.");
        Sample(text, "vllm:request_success_total", $"engine=\"0\",finished_reason=\"stop\",model_name=\"{Escape(modelName)}\"", Interlocked.Read(ref _finishedStop));
        Sample(text, "vllm:request_success_total", $"engine=\"0\",finished_reason=\"length\",model_name=\"{Escape(modelName)}\"", Interlocked.Read(ref _finishedLength));
        return text.ToString();
    }

    private static void Series(StringBuilder text, string name, string type, string help, string labels, double value)
    {
        Header(text, name, type, help);
        Sample(text, name, labels, value);
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    // Python prints floats with at least one decimal: 12.0, 0.05.
    private static void Sample(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append('{').Append(labels).Append("} ")
            .Append(value.ToString("0.0###############", CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string label) =>
        label.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>Takes the request out of the running count exactly once.</summary>
    internal sealed class RunningRequest(EngineMetrics metrics) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref metrics._running);
            }
        }
    }
}

/// <summary>Why a request finished, as vLLM labels `finished_reason`.</summary>
internal enum FinishReason
{
    Stop,
    Length,
}
