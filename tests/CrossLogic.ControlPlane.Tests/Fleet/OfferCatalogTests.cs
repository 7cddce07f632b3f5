using CrossLogic.ControlPlane.Fleet;
using CrossLogic.ControlPlane.Fleet.Offers;
using CrossLogic.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Tests.Fleet;

public sealed class OfferCatalogTests
{
    private static readonly string CatalogDirectory = Path.Combine(RepoPaths.Root, "tests", "data", "skypilot", "catalog");

    private static OfferCatalog Catalog() =>
        new(Options.Create(new FleetOptions { CatalogDirectory = CatalogDirectory }), NullLogger<OfferCatalog>.Instance);

    private static IReadOnlyList<Offer> Read(string cloud)
    {
        using var reader = new StreamReader(Path.Combine(CatalogDirectory, cloud, "vms.csv"));
        return CatalogReader.Read(cloud, reader);
    }

    [Fact]
    public void Aws_rows_give_an_on_demand_and_a_spot_offer_mapped_by_header_name()
    {
        var offers = Read("aws").Where(o => o.InstanceType == "p5.4xlarge" && o.Region == "eu-west-2").ToList();
        var onDemand = Assert.Single(offers, o => !o.Spot);
        var spot = Assert.Single(offers, o => o.Spot);
        Assert.Equal(("H100", 1, 8.944, "euw2-az3"), (onDemand.GpuType, onDemand.GpuCount, onDemand.PricePerHour, onDemand.Zone));
        Assert.Equal(2.8151, spot.PricePerHour);
        Assert.Equal(80, onDemand.GpuMemoryGib);
    }

    [Fact]
    public void An_empty_spot_price_means_no_spot_offer()
    {
        var offers = Read("aws").Where(o => o.InstanceType == "p5.4xlarge" && o.Region == "us-east-1").ToList();
        Assert.DoesNotContain(offers, o => o.Spot);
        Assert.Single(offers);
    }

    [Fact]
    public void Gcp_gpu_rows_are_priced_with_their_host_vm_in_the_same_zone()
    {
        // a3-highgpu-8g 9.46006 + 8 × H100 33.60609 in us-central1-a; spot 2.17547 + 18.024.
        var offers = Read("gcp").Where(o => o is { GpuType: "H100", GpuCount: 8, Region: "us-central1" }).ToList();
        Assert.Equal(43.06615, Assert.Single(offers, o => !o.Spot).PricePerHour, 5);
        Assert.Equal(20.19947, Assert.Single(offers, o => o.Spot).PricePerHour, 5);
        Assert.All(offers, o => Assert.Equal("a3-highgpu-8g", o.InstanceType));
    }

    [Fact]
    public void Gcp_l4_takes_the_cheapest_g2_host_and_a_gpu_without_a_host_family_is_skipped()
    {
        var gcp = Read("gcp");
        var l4 = Assert.Single(gcp, o => o is { GpuType: "L4", Region: "us-east4", Spot: false });
        Assert.Equal(0.29262 + 0.55821, l4.PricePerHour, 5);
        // The H200 row has no a3-ultragpu host in the sample: no offer rather than a wrong price.
        Assert.DoesNotContain(gcp, o => o.GpuType == "H200");
    }

    [Fact]
    public void Azure_rows_without_gpu_info_take_memory_from_the_table_and_lambda_has_no_spot()
    {
        var azure = Read("azure");
        Assert.Contains(azure, o => o is { GpuType: "A100-80GB", GpuCount: 1, Region: "westus3", Spot: true, PricePerHour: 0.40403 });
        Assert.DoesNotContain(azure, o => o.InstanceType == "Standard_NC16ads_A10_v4");
        Assert.All(azure.Where(o => o.GpuType == "H100"), o => Assert.Equal(80, o.GpuMemoryGib));
        var lambda = Read("lambda");
        Assert.NotEmpty(lambda);
        Assert.DoesNotContain(lambda, o => o.Spot);
    }

    [Fact]
    public void Cheapest_keeps_one_spot_and_one_on_demand_offer_per_cloud_and_region_cheapest_first()
    {
        var offers = Catalog().Cheapest("H100", 8, []);
        Assert.Equal(offers.OrderBy(o => o.PricePerHour).Select(o => o.PricePerHour), offers.Select(o => o.PricePerHour));
        Assert.Equal(offers.Count, offers.Select(o => (o.Cloud, o.Region, o.Spot)).Distinct().Count());
        // us-east-1 has two AZs for p5.48xlarge spot (55.04 and 14.582): the cheaper one is the offer.
        Assert.Equal(14.582, Assert.Single(offers, o => o is { Cloud: "aws", Region: "us-east-1", Spot: true }).PricePerHour);
        Assert.Equal("use1-az3", offers.Single(o => o is { Cloud: "aws", Region: "us-east-1", Spot: true }).Zone);
    }

    [Fact]
    public void Cheapest_honours_the_placement()
    {
        var catalog = Catalog();
        Assert.All(catalog.Cheapest("H100", 1, ["gcp"]), o => Assert.Equal("gcp", o.Cloud));
        Assert.All(catalog.Cheapest("H100", 1, ["aws/eu-west-2"]), o => Assert.Equal(("aws", "eu-west-2"), (o.Cloud, o.Region)));
        Assert.Empty(catalog.Cheapest("H100", 3, []));
    }

    [Fact]
    public void Csv_fields_may_hold_quoted_commas_and_doubled_quotes()
    {
        var rows = CsvReader.Read(new StringReader("a,\"b,c\",\"say \"\"hi\"\"\"\n1,2,3")).ToList();
        Assert.Equal(["a", "b,c", "say \"hi\""], rows[0]);
        Assert.Equal(["1", "2", "3"], rows[1]);
    }
}
