using System.Globalization;

namespace CrossLogic.Agent.Engine;

/// <summary>Builds `vllm serve …` from the engine spec.</summary>
internal static class VllmCommandLine
{
    public static IReadOnlyList<string> Build(EngineOptions options, int gpuCount, string? apiKey)
    {
        var tensorParallel = options.TensorParallelSize > 0 ? options.TensorParallelSize : Math.Max(1, gpuCount);
        var args = new List<string>(options.ExecutablePrefixArgs)
        {
            "serve", options.ModelToLoad,
            "--host", options.Host,
            "--port", options.Port.ToString(CultureInfo.InvariantCulture),
            "--tensor-parallel-size", tensorParallel.ToString(CultureInfo.InvariantCulture),
            "--gpu-memory-utilization", options.GpuMemoryUtilization.ToString("0.###", CultureInfo.InvariantCulture),
            "--served-model-name", options.EffectiveServedModelName,
        };
        if (options.MaxModelLen > 0)
        {
            args.AddRange(["--max-model-len", options.MaxModelLen.ToString(CultureInfo.InvariantCulture)]);
        }

        if (!string.IsNullOrEmpty(apiKey))
        {
            args.AddRange(["--api-key", apiKey]);
        }

        args.AddRange(options.ExtraArgs);
        return args;
    }

    /// <summary>The command line as text for logs and events, with the API key masked.</summary>
    public static string Describe(string executable, IReadOnlyList<string> args)
    {
        var shown = new List<string> { executable };
        for (var i = 0; i < args.Count; i++)
        {
            shown.Add(i > 0 && args[i - 1] == "--api-key" ? "***" : args[i]);
        }

        return string.Join(' ', shown);
    }
}
