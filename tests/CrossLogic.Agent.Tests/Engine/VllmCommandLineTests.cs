using CrossLogic.Agent.Engine;

namespace CrossLogic.Agent.Tests.Engine;

public sealed class VllmCommandLineTests
{
    [Fact]
    public void The_spec_becomes_vllm_serve_with_tensor_parallelism_from_the_gpu_count()
    {
        var options = new EngineOptions
        {
            Model = "/models/llama-3.1-8b",
            ServedModelName = "llama-3.1-8b",
            MaxModelLen = 8192,
            Port = 8001,
            ExtraArgs = ["--enable-prefix-caching"],
        };

        var args = VllmCommandLine.Build(options, gpuCount: 4, apiKey: "secret");

        Assert.Equal(
            ["serve", "/models/llama-3.1-8b", "--host", "0.0.0.0", "--port", "8001", "--tensor-parallel-size", "4",
             "--gpu-memory-utilization", "0.9", "--served-model-name", "llama-3.1-8b", "--max-model-len", "8192",
             "--api-key", "secret", "--enable-prefix-caching"],
            args);
        Assert.DoesNotContain("secret", VllmCommandLine.Describe("vllm", args), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_gpus_tensor_parallelism_is_one_and_an_explicit_size_wins()
    {
        var options = new EngineOptions { Model = "m" };
        Assert.Equal("1", After(VllmCommandLine.Build(options, 0, null), "--tensor-parallel-size"));

        options.TensorParallelSize = 2;
        Assert.Equal("2", After(VllmCommandLine.Build(options, 8, null), "--tensor-parallel-size"));
        Assert.DoesNotContain("--api-key", VllmCommandLine.Build(options, 8, null));
    }

    private static string After(IReadOnlyList<string> args, string flag) => args[args.ToList().IndexOf(flag) + 1];
}
