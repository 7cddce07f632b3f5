using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Fleet.Sizing;

namespace CrossLogic.ControlPlane.Tests.Fleet;

public sealed class ModelSizerTests
{
    [Fact]
    public void A_small_model_fits_one_gpu_and_the_explanation_says_why()
    {
        var (sizing, error) = ModelSizer.Size(ModelProfiles.Resolve("Qwen/Qwen2.5-0.5B-Instruct", null), "L4", 24);
        Assert.Null(error);
        Assert.Equal(1, sizing!.GpuCount);
        Assert.Contains("weights 0.9 GiB", sizing.Explanation);
        Assert.Contains("tensor-parallel 1", sizing.Explanation);
    }

    [Fact]
    public void Llama_8b_at_8k_context_needs_two_l4_but_one_h100()
    {
        var profile = ModelProfiles.Resolve("meta-llama/Llama-3.1-8B-Instruct", null);
        // 8.03e9 × 2 B = 15.0 GiB weights; KV 2 × 32 × 8 × 128 × 2 B = 128 KiB/token × 8192 × 8 = 8 GiB.
        var (onL4, _) = ModelSizer.Size(profile, "L4", 24);
        Assert.Equal(15.0, onL4!.WeightsGib, 1);
        Assert.Equal(8.0, onL4.KvCacheGib, 1);
        Assert.Equal(2, onL4.GpuCount);
        Assert.Equal(1, ModelSizer.Size(profile, "H100", 80).Sizing!.GpuCount);
    }

    [Fact]
    public void Seventy_b_needs_four_h100_and_tensor_parallelism_divides_the_heads()
    {
        var (sizing, _) = ModelSizer.Size(ModelProfiles.Resolve("meta-llama/Llama-3.1-70B-Instruct", null), "H100", 80);
        Assert.Equal(4, sizing!.TensorParallelSize);
        // 84.5 GiB would fit 8 L4 (12.6 GiB each) but not 4 (23.1 GiB each); 8 does not divide 20 heads, so it cannot split.
        var odd = new ModelProfile { ParametersBillions = 40, NumLayers = 40, NumKvHeads = 8, HeadDim = 128, NumAttentionHeads = 20 };
        Assert.Null(ModelSizer.Size(odd, "L4", 24).Sizing);
        odd.NumAttentionHeads = 40;
        Assert.Equal(8, ModelSizer.Size(odd, "L4", 24).Sizing!.GpuCount);
    }

    [Fact]
    public void A_model_too_large_for_eight_gpus_is_refused_with_what_to_change()
    {
        var (sizing, error) = ModelSizer.Size(ModelProfiles.Resolve("meta-llama/Llama-3.1-405B-Instruct-FP8", null), "L4", 24);
        Assert.Null(sizing);
        Assert.StartsWith("gpu_count:", error);
        Assert.Contains("choose a larger GPU", error);
    }

    [Theory]
    [InlineData(0, "bfloat16", 32, "parameters_billions")]
    [InlineData(7, "fp6", 32, "dtype")]
    [InlineData(7, "bfloat16", 0, "num_layers")]
    public void Missing_or_bad_profile_fields_are_named(double billions, string dtype, int layers, string field)
    {
        var profile = new ModelProfile { ParametersBillions = billions, Dtype = dtype, NumLayers = layers, NumKvHeads = 8, HeadDim = 128 };
        Assert.Contains(field, ModelSizer.Size(profile, "H100", 80).Error);
    }

    [Fact]
    public void Fp8_halves_the_weights_but_the_kv_cache_stays_16_bit()
    {
        var bf16 = new ModelProfile { ParametersBillions = 8, NumLayers = 32, NumKvHeads = 8, HeadDim = 128 };
        var fp8 = bf16.Clone();
        fp8.Dtype = "fp8";
        var a = ModelSizer.Size(bf16, "H100", 80).Sizing!;
        var b = ModelSizer.Size(fp8, "H100", 80).Sizing!;
        Assert.Equal(a.WeightsGib / 2, b.WeightsGib, 1);
        Assert.Equal(a.KvCacheGib, b.KvCacheGib, 1);
    }

    [Fact]
    public void Kv_heads_fewer_than_gpus_are_replicated_not_split()
    {
        // 2 KV heads over 4 GPUs: each GPU holds a whole head's cache, half the total, not a quarter.
        var profile = new ModelProfile { ParametersBillions = 60, NumLayers = 64, NumKvHeads = 2, HeadDim = 128, MaxContextTokens = 32768, Concurrency = 16 };
        var sizing = ModelSizer.Size(profile, "H100", 80).Sizing!;
        Assert.Equal(4, sizing.GpuCount);
        Assert.Equal(Math.Round((sizing.WeightsGib / 4) + (sizing.KvCacheGib / 2), 1), Math.Round((sizing.RequiredGib / 4) - ModelSizer.ReservePerGpuGib, 1));
    }

    [Fact]
    public void A_request_profile_overrides_the_known_one()
    {
        var profile = ModelProfiles.Resolve("meta-llama/Llama-3.1-8B-Instruct", new ModelProfile { MaxContextTokens = 131072, Concurrency = 4 });
        Assert.Equal(32, profile.NumLayers);
        Assert.Equal(131072, profile.MaxContextTokens);
    }
}
