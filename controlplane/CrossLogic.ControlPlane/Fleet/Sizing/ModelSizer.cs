using System.Globalization;
using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Fleet.Sizing;

/// <summary>
/// How many GPUs a model needs: weights (parameters × bytes per dtype) plus the KV cache for the context and
/// concurrency asked (2 × layers × kv_heads × head_dim × bytes per token and sequence), split evenly by tensor
/// parallelism, plus a fixed per-GPU reserve (CUDA context, activations, CUDA graphs), against the memory vLLM may use
/// (total × gpu_memory_utilization). The tensor-parallel size is the smallest power of two that fits and divides the
/// attention heads, as vLLM requires.
/// </summary>
internal static class ModelSizer
{
    public const double GpuMemoryUtilization = 0.90;
    public const double ReservePerGpuGib = 2.0;
    public const int DefaultContext = 8192;
    public const int DefaultConcurrency = 8;
    private static readonly int[] TensorParallelSizes = [1, 2, 4, 8];

    /// <summary>The sizing, or the reason there is none (the field to fix in the message).</summary>
    public static (Contracts.V1.Sizing? Sizing, string? Error) Size(ModelProfile profile, string gpuType, double gpuMemoryGib)
    {
        if (profile.ParametersBillions is <= 0 or > 10_000)
        {
            return (null, "model_profile.parameters_billions must be between 0 and 10000 for automatic sizing");
        }

        if (BytesPerParameter(profile.Dtype) is not { } weightBytes)
        {
            return (null, $"model_profile.dtype '{profile.Dtype}' is not one of bfloat16, float16, fp8, int8, int4");
        }

        if (profile.NumLayers <= 0 || profile.NumKvHeads <= 0 || profile.HeadDim <= 0)
        {
            return (null, "model_profile.num_layers, num_kv_heads and head_dim are needed to size the KV cache");
        }

        if (profile.MaxContextTokens < 0 || profile.Concurrency < 0)
        {
            return (null, "model_profile.max_context_tokens and concurrency must not be negative");
        }

        var context = profile.MaxContextTokens > 0 ? profile.MaxContextTokens : DefaultContext;
        var concurrency = profile.Concurrency > 0 ? profile.Concurrency : DefaultConcurrency;
        // vLLM's kv_cache_dtype "auto" caches in the activation dtype, 16 bits, whatever the weights are stored in.
        const double kvBytes = 2.0;
        const double gib = 1024.0 * 1024 * 1024;
        var weights = profile.ParametersBillions * 1e9 * weightBytes / gib;
        var kvPerToken = 2.0 * profile.NumLayers * profile.NumKvHeads * profile.HeadDim * kvBytes;
        var kv = kvPerToken * context * concurrency / gib;
        var usable = gpuMemoryGib * GpuMemoryUtilization;

        foreach (var tp in TensorParallelSizes)
        {
            if (profile.NumAttentionHeads > 0 && profile.NumAttentionHeads % tp != 0)
            {
                continue;
            }

            // With fewer KV heads than GPUs, heads are replicated, not split: each GPU holds at least one head's cache.
            var kvPerGpu = kv * Math.Max(1.0 / tp, 1.0 / profile.NumKvHeads);
            var perGpu = (weights / tp) + kvPerGpu + ReservePerGpuGib;
            if (perGpu <= usable)
            {
                var sizing = new Contracts.V1.Sizing
                {
                    GpuCount = tp,
                    TensorParallelSize = tp,
                    WeightsGib = Math.Round(weights, 2),
                    KvCacheGib = Math.Round(kv, 2),
                    RequiredGib = Math.Round(perGpu * tp, 2),
                    UsableGibPerGpu = Math.Round(usable, 2),
                };
                var ci = CultureInfo.InvariantCulture;
                sizing.Explanation =
                    string.Create(ci, $"weights {weights:0.0} GiB ({profile.ParametersBillions:0.##}B × {weightBytes:0.#} B {Dtype(profile.Dtype)}) ") +
                    string.Create(ci, $"+ KV cache {kv:0.0} GiB ({context} tokens × {concurrency} sequences × {kvPerToken / 1024:0.#} KiB/token) ") +
                    string.Create(ci, $"+ {ReservePerGpuGib:0.#} GiB reserve per GPU = {perGpu:0.0} GiB per GPU at tensor-parallel {tp}, ") +
                    string.Create(ci, $"within {usable:0.0} GiB usable of each {gpuType} ({gpuMemoryGib:0.#} GiB × {GpuMemoryUtilization:0.00})") +
                    (tp > 1 ? string.Create(ci, $"; {tp / 2} GPU(s) would need {((weights + kv) / (tp / 2)) + ReservePerGpuGib:0.0} GiB each") : "");
                return (sizing, null);
            }
        }

        var needed = ((weights + kv) / 8) + ReservePerGpuGib;
        var message =
            string.Create(CultureInfo.InvariantCulture, $"gpu_count: the model needs {weights + kv:0.0} GiB (weights {weights:0.0} + KV cache {kv:0.0}): ") +
            string.Create(CultureInfo.InvariantCulture, $"{needed:0.0} GiB per GPU even on 8 × {gpuType} with {usable:0.0} GiB usable each; ") +
            "choose a larger GPU, a smaller dtype, or less context or concurrency";
        return (null, message);
    }

    private static double? BytesPerParameter(string dtype) => Dtype(dtype) switch
    {
        "bfloat16" or "float16" => 2,
        "fp8" or "int8" => 1,
        "int4" => 0.5,
        _ => null,
    };

    private static string Dtype(string dtype) => dtype.Length == 0 ? "bfloat16" : dtype.ToLowerInvariant() switch
    {
        "bf16" => "bfloat16",
        "fp16" or "half" => "float16",
        var d => d,
    };
}
