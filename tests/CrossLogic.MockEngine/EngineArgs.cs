using System.Globalization;

namespace CrossLogic.MockEngine;

/// <summary>The subset of `vllm serve` arguments the mock engine honours; every other flag is accepted and ignored.</summary>
internal sealed record EngineArgs
{
    public const string Usage =
        "usage: crosslogic-mock-engine serve <model-or-path> [--host HOST] [--port PORT] [--tensor-parallel-size N] " +
        "[--gpu-memory-utilization F] [--max-model-len L] [--served-model-name NAME [NAME ...]] [--api-key KEY] [other vllm flags are ignored]";

    public required string Model { get; init; }

    /// <summary>Names a request's `model` may use; the first is the one reported in metrics and logs.</summary>
    public required IReadOnlyList<string> ServedModelNames { get; init; }

    public string Host { get; init; } = "0.0.0.0";

    public int Port { get; init; } = 8000;

    public int TensorParallelSize { get; init; } = 1;

    public double GpuMemoryUtilization { get; init; } = 0.9;

    public int MaxModelLen { get; init; } = 4096;

    public string? ApiKey { get; init; }

    public string ServedModelName => ServedModelNames[0];

    /// <summary>Parses `serve MODEL --flag value ...` the way vLLM's argparse does: `--a-b`, `--a_b` and `--a-b=value` are the same flag.</summary>
    public static bool TryParse(string[] args, out EngineArgs parsed, out string error)
    {
        parsed = null!;
        error = "";
        if (args.Length == 0 || args[0] != "serve")
        {
            error = "expected the 'serve' command";
            return false;
        }

        string? model = null;
        var servedNames = new List<string>();
        string host = "0.0.0.0";
        int port = 8000, tensorParallel = 1, maxModelLen = 4096;
        double gpuMemory = 0.9;
        string? apiKey = null;

        var i = 1;
        if (i < args.Length && !args[i].StartsWith('-'))
        {
            model = args[i++];
        }

        while (i < args.Length)
        {
            var token = args[i++];
            if (!token.StartsWith('-'))
            {
                continue; // a stray positional: argparse would refuse it, the mock shrugs.
            }

            var (flag, inlineValue) = SplitFlag(token);
            string? Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                return i < args.Length && IsValue(args[i]) ? args[i++] : null;
            }

            switch (flag)
            {
                case "--model":
                    model = Value() ?? model;
                    break;
                case "--host":
                    host = Value() ?? host;
                    break;
                case "--port":
                    if (!TryInt(flag, Value(), 0, 65535, out port, out error))
                    {
                        return false;
                    }

                    break;
                case "--tensor-parallel-size" or "-tp":
                    if (!TryInt(flag, Value(), 1, int.MaxValue, out tensorParallel, out error))
                    {
                        return false;
                    }

                    break;
                case "--gpu-memory-utilization":
                    if (!TryFraction(flag, Value(), out gpuMemory, out error))
                    {
                        return false;
                    }

                    break;
                case "--max-model-len":
                    if (!TryModelLen(flag, Value(), out maxModelLen, out error))
                    {
                        return false;
                    }

                    break;
                case "--served-model-name":
                    // nargs="+" in vLLM: every following non-flag token is another name.
                    servedNames.Clear();
                    if (inlineValue is not null)
                    {
                        servedNames.Add(inlineValue);
                    }
                    else
                    {
                        while (i < args.Length && !args[i].StartsWith('-'))
                        {
                            servedNames.Add(args[i++]);
                        }
                    }

                    break;
                case "--api-key":
                    apiKey = Value() ?? apiKey;
                    break;
                default:
                    _ = Value(); // an unknown `--flag value` or bare `--flag`.
                    break;
            }
        }

        if (string.IsNullOrEmpty(model))
        {
            error = "the model (first argument after 'serve') is required";
            return false;
        }

        if (servedNames.Count == 0)
        {
            servedNames.Add(model);
        }

        parsed = new EngineArgs
        {
            Model = model,
            ServedModelNames = servedNames,
            Host = host,
            Port = port,
            TensorParallelSize = tensorParallel,
            GpuMemoryUtilization = gpuMemory,
            MaxModelLen = maxModelLen,
            ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey,
        };
        return true;
    }

    private static (string Flag, string? InlineValue) SplitFlag(string token)
    {
        var equals = token.IndexOf('=', StringComparison.Ordinal);
        var name = equals < 0 ? token : token[..equals];
        var value = equals < 0 ? null : token[(equals + 1)..];
        return (name.StartsWith("--", StringComparison.Ordinal) ? name.Replace('_', '-') : name, value);
    }

    // A value is anything that is not another flag; "-1" is a value.
    private static bool IsValue(string token) =>
        !token.StartsWith('-') || double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static bool TryInt(string flag, string? text, int min, int max, out int value, out string error)
    {
        error = "";
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        error = $"argument {flag}: invalid int value: '{text}' (expected {min}..{max})";
        return false;
    }

    private static bool TryFraction(string flag, string? text, out double value, out string error)
    {
        error = "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value > 0 && value <= 1)
        {
            return true;
        }

        error = $"argument {flag}: invalid float value: '{text}' (expected a fraction in (0, 1])";
        return false;
    }

    // vLLM accepts human-readable lengths: 1k = 1000, 1K = 1024, likewise m/M.
    private static bool TryModelLen(string flag, string? text, out int value, out string error)
    {
        value = 0;
        if (text is { Length: > 1 } && "kKmM".Contains(text[^1], StringComparison.Ordinal))
        {
            var unit = text[^1] switch { 'k' => 1_000L, 'K' => 1_024L, 'm' => 1_000_000L, _ => 1_048_576L };
            if (double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var scaled)
                && scaled > 0 && scaled * unit <= int.MaxValue)
            {
                value = (int)(scaled * unit);
                error = "";
                return true;
            }

            error = $"argument {flag}: invalid value: '{text}'";
            return false;
        }

        return TryInt(flag, text, 1, int.MaxValue, out value, out error);
    }
}
