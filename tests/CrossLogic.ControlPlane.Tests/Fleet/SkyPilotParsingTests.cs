using CrossLogic.ControlPlane.Fleet.Provisioning;
using CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;
using CrossLogic.Testing;

namespace CrossLogic.ControlPlane.Tests.Fleet;

public sealed class SkyPilotParsingTests
{
    private static string Data(string file) => File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "data", "skypilot", file));

    [Fact]
    public void Status_json_gives_name_state_cloud_region_and_launch_time()
    {
        var clusters = SkyStatusParser.ParseJson(Data("status.json"));
        var h100 = Assert.Single(clusters, c => c.ClusterName == "vllm-h100");
        Assert.Equal((ClusterState.Up, "aws", "us-east-1"), (h100.State, h100.Cloud, h100.Region));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1759999280), h100.LaunchedAt);
        Assert.Equal(ClusterState.Starting, clusters.Single(c => c.ClusterName == "ft-a100").State);
    }

    [Fact]
    public void Status_json_after_api_server_log_lines_and_the_empty_list_parse()
    {
        var noisy = "Failed to connect to SkyPilot API server at http://127.0.0.1:46580. Starting a local server.\nCluster(s) not found: x.\n[]\n";
        Assert.Empty(SkyStatusParser.ParseJson(noisy));
        Assert.Throws<ProvisionException>(() => SkyStatusParser.ParseJson("Error: something broke"));
    }

    [Theory]
    [InlineData("status-table.txt")]
    [InlineData("status-table.raw-ansi.txt")]
    public void The_status_table_parses_with_and_without_colour_codes(string file)
    {
        var text = Data(file);
        // The sample file starts with comment lines; the CLI's own output starts at "Enabled Infra".
        var output = text.StartsWith("Enabled Infra", StringComparison.Ordinal) ? text : text[(text.IndexOf("\nEnabled Infra", StringComparison.Ordinal) + 1)..];
        var clusters = SkyStatusParser.ParseTable(output);
        Assert.Equal(["vllm-h100", "ft-a100", "dev-l4"], clusters.Select(c => c.ClusterName));
        Assert.Equal([ClusterState.Up, ClusterState.Starting, ClusterState.Stopped], clusters.Select(c => c.State));
        Assert.Equal(("aws", "us-east-1"), (clusters[0].Cloud, clusters[0].Region));
        Assert.Equal(("gcp", "us-central1"), (clusters[1].Cloud, clusters[1].Region));
    }

    [Fact]
    public void No_clusters_is_an_empty_table_not_an_error()
    {
        Assert.Empty(SkyStatusParser.ParseTable("Enabled Infra: aws\n\nClusters\nNo existing clusters.\n"));
        Assert.Empty(SkyStatusParser.ParseTable("Clusters\nCluster 'x' not found.\n"));
    }

    [Theory]
    [InlineData("http://3.91.20.17:8000", "3.91.20.17:8000")]
    [InlineData("3.91.20.17:8000\n", "3.91.20.17:8000")]
    [InlineData("Starting a local server.\nhttp://127.0.0.1:41234\n", "127.0.0.1:41234")]
    public void Endpoints_print_with_or_without_scheme(string output, string expected) =>
        Assert.Equal(expected, SkyStatusParser.ParseEndpoint(output));

    [Theory]
    [InlineData("sky.exceptions.ResourcesUnavailableError: Failed to provision all possible launchable resources. Relax the task's resource requirements: 1x AWS({'H100': 1})\nInsufficientInstanceCapacity", "NoCapacity")]
    [InlineData("sky.exceptions.ResourcesUnavailableError: Failed to provision all possible launchable resources.\nReasons:\nQuota 'GPUS_ALL_REGIONS' exceeded. Limit: 0.0 globally.", "Quota")]
    [InlineData("sky.exceptions.ResourcesUnavailableError: Failed to provision...\nVcpuLimitExceeded: You have requested more vCPU capacity than your current vCPU limit of 96 allows", "Quota")]
    [InlineData("sky.exceptions.ResourcesUnavailableError: Catalog does not contain any instances satisfying the request: 1x AWS({'H100': 3})", "Invalid")]
    [InlineData("sky.exceptions.CloudUserIdentityError: Failed to get cloud user identity.", "Auth")]
    [InlineData("sky.exceptions.ClusterDoesNotExist: Cluster 'x' does not exist.", "UnknownCluster")]
    [InlineData("Traceback (most recent call last):\nConnectionResetError: [Errno 104]", "Transient")]
    public void Failures_are_classified_by_their_most_specific_cause(string output, string expected) =>
        Assert.Equal(Enum.Parse<ProvisionFailure>(expected), SkyErrorClassifier.Classify(output));

    [Fact]
    public void The_summary_is_the_exception_line()
    {
        var output = "⨯ Failed to provision resources. View logs: sky api logs -l x\nsky.exceptions.ResourcesUnavailableError: Failed to provision all.\nTo keep retrying...";
        Assert.Equal("sky.exceptions.ResourcesUnavailableError: Failed to provision all.", SkyErrorClassifier.Summary(output));
    }
}
