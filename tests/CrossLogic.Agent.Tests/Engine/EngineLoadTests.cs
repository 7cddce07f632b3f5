using CrossLogic.Agent.Engine;

namespace CrossLogic.Agent.Tests.Engine;

public sealed class EngineLoadTests
{
    [Fact]
    public void The_real_vllm_sample_parses()
    {
        var sample = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vllm-metrics-sample.txt"));

        var load = EngineLoad.Parse(sample);

        Assert.Equal(new EngineLoad(12, 3, 0.4213), load);
    }

    [Fact]
    public void The_older_kv_cache_gauge_name_is_accepted_and_engines_are_summed()
    {
        const string text = """
            # TYPE vllm:num_requests_running gauge
            vllm:num_requests_running{engine="0",model_name="m"} 2.0
            vllm:num_requests_running{engine="1",model_name="m"} 3.0
            vllm:num_requests_waiting{model_name="m"} 1
            vllm:gpu_cache_usage_perc{model_name="m"} 0.25
            """;

        Assert.Equal(new EngineLoad(5, 1, 0.25), EngineLoad.Parse(text));
    }

    [Fact]
    public void Garbage_gives_an_idle_reading_not_an_exception()
    {
        Assert.Equal(EngineLoad.Idle, EngineLoad.Parse("<html>502 Bad Gateway</html>\nvllm:num_requests_running{ NaN\n"));
    }
}
