using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Fleet.Deployments;

namespace CrossLogic.ControlPlane.Tests.Fleet;

public sealed class DeploymentValidatorTests
{
    [Theory]
    [InlineData(-1, 0, 0, "replicas must not be negative")]
    [InlineData(1, 3, 2, "min_replicas (3) must not exceed max_replicas (2)")]
    [InlineData(5, 0, 4, "replicas (5) must not exceed max_replicas (4)")]
    [InlineData(1, 2, 4, "replicas (1) must be at least min_replicas (2)")]
    [InlineData(1, 0, 100, "max_replicas must be at most 64 (Fleet:MaxReplicas)")]
    public void Replica_bounds_name_the_field(int replicas, int min, int max, string expected) =>
        Assert.Equal(expected, DeploymentValidator.ReplicasError(new Deployment { Replicas = replicas, MinReplicas = min, MaxReplicas = max }, 64));

    [Fact]
    public void Engine_args_may_not_set_what_crosslogic_sets_or_smuggle_spaces()
    {
        Assert.Null(DeploymentValidator.EngineArgsError(["--max-model-len=8192", "--enable-prefix-caching"], "engine_args"));
        Assert.Contains("--api-key is set by CrossLogic", DeploymentValidator.EngineArgsError(["--api-key=x"], "engine_args"));
        Assert.Contains("no spaces", DeploymentValidator.EngineArgsError(["--x y"], "engine_args"));
        Assert.Contains("no spaces", DeploymentValidator.EngineArgsError(["$(reboot)"], "engine_args"));
        Assert.Contains("is set by CrossLogic", DeploymentValidator.EngineArgsError(["--api_key=x"], "engine_args"));
        Assert.Contains("is set by CrossLogic", DeploymentValidator.EngineArgsError(["--api=x"], "engine_args"));
        Assert.Contains("is set by CrossLogic", DeploymentValidator.EngineArgsError(["--served-model=x"], "engine_args"));
        Assert.Null(DeploymentValidator.EngineArgsError(["--enable-chunked-prefill"], "engine_args"));
    }

    [Theory]
    [InlineData("aws", true)]
    [InlineData("gcp/us-central1", true)]
    [InlineData("AWS", false)]
    [InlineData("aws/us-east-1/us-east-1a/x", false)]
    [InlineData("aws; rm -rf /", false)]
    public void Infra_entries_look_like_cloud_or_cloud_slash_region(string infra, bool ok) =>
        Assert.Equal(ok, DeploymentValidator.InfraError([infra], "placement.infra") is null);

    [Theory]
    [InlineData("llama", true)]
    [InlineData("Llama", false)]
    [InlineData("a-very-long-deployment-name-that-goes-on-and-on", false)]
    [InlineData("9lives", false)]
    public void Deployment_ids_are_short_lower_case_names(string id, bool ok) =>
        Assert.Equal(ok, DeploymentValidator.DeploymentIdError(id) is null);
}
