using System.Text.Json;

namespace CrossLogic.Cli.Tests.Offers;

/// <summary>`clctl offers` against SkyPilot's catalog samples.</summary>
public sealed class OfferCommandsTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Offers_list_the_cheapest_per_cloud_and_region_as_a_table_and_as_json()
    {
        var table = await fixture.RunAsync("offers", "H100", "--count", "8");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("p5.48xlarge", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("a3-highgpu-8g", table.Stdout, StringComparison.Ordinal);

        var json = await fixture.RunAsync("offers", "H100", "--count", "8", "--infra", "aws", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var offers = document.RootElement.GetProperty("offers").EnumerateArray().ToList();
        Assert.NotEmpty(offers);
        Assert.All(offers, o => Assert.Equal("aws", o.GetProperty("cloud").GetString()));
        var prices = offers.Select(o => o.GetProperty("pricePerHour").GetDouble()).ToList();
        Assert.Equal(prices.Order(), prices);
        Assert.Equal(14.582, prices[0]);
    }

    [Fact]
    public async Task An_unknown_gpu_is_refused_with_exit_5_and_the_field_named()
    {
        var result = await fixture.RunAsync("offers", "Z80");
        Assert.Equal(5, result.ExitCode);
        Assert.Contains("gpu_type", result.Stderr, StringComparison.Ordinal);
    }
}
