using System.Globalization;

namespace CrossLogic.FakeSky.Provision;

/// <summary>One instance offering: what `sky launch` would pick and what `sky status` reports about it.</summary>
internal sealed record Offering(
    string InstanceType, string? Accelerator, int AcceleratorCount, int Vcpus, int MemoryGb, double Price, double? SpotPrice)
{
    public string? Accelerators => Accelerator is null ? null : $"{Accelerator}:{AcceleratorCount}";

    public double HourlyCost(bool spot) => spot ? SpotPrice ?? Price : Price;
}

/// <summary>
/// A few real catalog rows (prices from skypilot-catalog v7/v8, us-east-1 / us-central1 / eastus) so the
/// "Considered resources" table and `sky status` look real. Accelerators not listed get a made-up offering instead of a
/// catalog error: only a `catalog` fault rule makes the fake say the catalog has nothing.
/// </summary>
internal static class Catalog
{
    private static readonly Dictionary<string, Offering[]> Offerings = new()
    {
        ["aws"] =
        [
            new("m6i.2xlarge", null, 0, 8, 32, 0.384, 0.1554),
            new("p5.4xlarge", "H100", 1, 16, 256, 6.88, 2.8151),
            new("p5.48xlarge", "H100", 8, 192, 2048, 55.04, 14.582),
            new("p4d.24xlarge", "A100", 8, 96, 1152, 21.957642, 6.289),
            new("p4de.24xlarge", "A100-80GB", 8, 96, 1152, 27.44705, 11.4593),
            new("p5en.48xlarge", "H200", 8, 192, 2048, 63.296, 19.9071),
            new("p6-b200.48xlarge", "B200", 8, 192, 2048, 113.9328, 19.0919),
            new("g6.xlarge", "L4", 1, 4, 16, 0.8048, 0.4386),
            new("g6.24xlarge", "L4", 4, 96, 384, 6.6752, 2.7197),
            new("g6.48xlarge", "L4", 8, 192, 768, 13.3504, 2.7361),
            new("g5.xlarge", "A10G", 1, 4, 16, 1.006, 0.507),
        ],
        ["gcp"] =
        [
            // GCP prices are host VM + GPU rows, as SkyPilot adds them.
            new("n2-standard-8", null, 0, 8, 32, 0.388472, 0.0934),
            new("a3-highgpu-1g", "H100", 1, 26, 234, 5.38327, 2.52493),
            new("a3-highgpu-8g", "H100", 8, 208, 1872, 43.06615, 20.19947),
            new("a2-highgpu-1g", "A100", 1, 12, 85, 3.67339, 1.44296),
            new("a2-highgpu-8g", "A100", 8, 96, 680, 29.38708, 11.54364),
            new("a2-ultragpu-1g", "A100-80GB", 1, 12, 170, 2.94582, 2.01103),
            new("a2-ultragpu-8g", "A100-80GB", 8, 96, 1360, 23.56656, 16.08824),
            new("g2-standard-8", "L4", 1, 8, 32, 0.85362, 0.34057),
        ],
        ["azure"] =
        [
            new("Standard_D8s_v5", null, 0, 8, 32, 0.384, 0.0768),
            new("Standard_NC40ads_H100_v5", "H100", 1, 40, 320, 6.98, 6.98),
            new("Standard_ND96isr_H100_v5", "H100", 8, 96, 1900, 98.32, 98.32),
            new("Standard_NC24ads_A100_v4", "A100-80GB", 1, 24, 220, 3.673, 0.444433),
            new("Standard_ND96amsr_A100_v4", "A100-80GB", 8, 96, 1800, 32.77, 3.6047),
            new("Standard_ND96asr_v4", "A100", 8, 96, 900, 27.197, 2.99167),
            new("Standard_NV36ads_A10_v5", "A10", 1, 36, 440, 3.2, 0.8),
        ],
        ["lambda"] =
        [
            // Lambda has no spot and no CPU-only instances.
            new("gpu_1x_a10", "A10", 1, 30, 200, 0.75, null),
            new("gpu_1x_h100_pcie", "H100", 1, 26, 200, 2.49, null),
            new("gpu_8x_h100_sxm5", "H100", 8, 208, 1800, 23.92, null),
            new("gpu_1x_a100_sxm4", "A100", 1, 30, 200, 1.29, null),
            new("gpu_8x_a100", "A100", 8, 124, 1800, 10.32, null),
            new("gpu_8x_a100_80gb_sxm4", "A100-80GB", 8, 240, 1800, 14.32, null),
            new("gpu_1x_gh200", "GH200", 1, 64, 432, 1.49, null),
        ],
    };

    /// <summary>The cheapest offering for any of the accelerator alternatives (none = CPU-only).</summary>
    public static Offering Choose(string cloud, IReadOnlyList<string> accelerators, string? instanceType, bool spot)
    {
        var rows = Offerings.GetValueOrDefault(cloud, []);
        if (instanceType is not null)
        {
            return rows.FirstOrDefault(o => o.InstanceType == instanceType) ?? MadeUp(cloud, instanceType, accelerators.FirstOrDefault());
        }

        if (accelerators.Count == 0)
        {
            return rows.FirstOrDefault(o => o.Accelerator is null) ?? rows.FirstOrDefault() ?? MadeUp(cloud, null, null);
        }

        return accelerators
            .Select(a => rows.FirstOrDefault(o => o.Accelerators == a) ?? MadeUp(cloud, null, a))
            .OrderBy(o => o.HourlyCost(spot))
            .First();
    }

    private static Offering MadeUp(string cloud, string? instanceType, string? accelerator)
    {
        if (accelerator is null)
        {
            return new Offering(instanceType ?? (cloud == "kubernetes" ? "8CPU--32GB" : "fake-cpu-8x"), null, 0, 8, 32, 0.4, 0.15);
        }

        var colon = accelerator.LastIndexOf(':');
        var name = colon < 0 ? accelerator : accelerator[..colon];
        var count = colon >= 0 && double.TryParse(accelerator[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0
            ? (int)Math.Ceiling(n)
            : 1;
        var type = instanceType ?? (cloud == "kubernetes" ? $"{8 * count}CPU--{64 * count}GB--{name}:{count}" : $"fake-{name.ToLowerInvariant()}-{count}x");
        return new Offering(type, name, count, 8 * count, 64 * count, 3.0 * count, cloud == "lambda" ? null : 1.2 * count);
    }
}
