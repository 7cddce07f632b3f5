using CrossLogic.ControlPlane.Fleet.Provisioning;

namespace CrossLogic.ControlPlane.Tests.Fleet;

public sealed class ClusterNamesTests
{
    [Fact]
    public void A_name_says_provider_region_gpu_and_spot()
    {
        Assert.Equal("cic-aws-us-east-1-h100-spot-a1b2c3", ClusterNames.Compose("aws", "us-east-1", "H100", 1, true, "a1b2c3"));
        Assert.Equal("cic-gcp-us-central1-a100-80gbx8-od-a1b2c3", ClusterNames.Compose("gcp", "us-central1", "A100-80GB", 8, false, "a1b2c3"));
        Assert.Equal("cic-sky-any-l4-spot-a1b2c3", ClusterNames.Compose("sky", "", "L4", 1, true, "a1b2c3"));
    }

    [Theory]
    [InlineData("azure", "southeastasia-very-long-region-name", "RTXPRO6000-Blackwell", 8)]
    [InlineData("AWS", "US_EAST_1", "h100 sxm", 1)]
    [InlineData("oci", "ap-hyderabad-1", "A100-80GB", 16)]
    public void Every_name_is_short_lower_case_and_valid_for_every_cloud(string provider, string region, string gpu, int count)
    {
        var name = ClusterNames.New(provider, region, gpu, count, true);
        Assert.True(name.Length <= ClusterNames.MaxLength, name);
        Assert.Matches("^cic-[a-z0-9]+(-[a-z0-9]+)*$", name);
        Assert.True(ClusterNames.IsOurs(name));
        Assert.EndsWith("-spot-" + name[^6..], name);
    }

    [Fact]
    public void Names_are_unique_and_only_ours_are_recognised()
    {
        var names = Enumerable.Range(0, 1000).Select(_ => ClusterNames.New("aws", "us-east-1", "H100", 1, true)).ToHashSet();
        Assert.Equal(1000, names.Count);
        Assert.False(ClusterNames.IsOurs("vllm-h100"));
        Assert.False(ClusterNames.IsOurs("cic-Upper"));
        Assert.False(ClusterNames.IsOurs("cic-../../etc"));
    }
}
