using System.Globalization;
using System.Text.RegularExpressions;

namespace CrossLogic.ControlPlane.Fleet.Offers;

/// <summary>
/// Reads one cloud's SkyPilot catalog (`vms.csv`) into offers, mapping columns by header name since every cloud orders
/// them differently. A row becomes up to two offers (on-demand `Price`, spot `SpotPrice`; an empty price means none).
/// GCP lists GPUs apart from their host VMs: a GPU row's price is added to the cheapest host of its family in the same
/// zone (a3-highgpu-8g + 8 × H100).
/// </summary>
internal static partial class CatalogReader
{
    public static IReadOnlyList<Offer> Read(string cloud, TextReader reader)
    {
        using var rows = CsvReader.Read(reader).GetEnumerator();
        if (!rows.MoveNext())
        {
            return [];
        }

        var header = rows.Current.Select((name, index) => (name, index)).ToDictionary(h => h.name.Trim(), h => h.index, StringComparer.Ordinal);
        foreach (var required in new[] { "InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "SpotPrice", "Region" })
        {
            if (!header.ContainsKey(required))
            {
                throw new FormatException($"{cloud} catalog: no '{required}' column");
            }
        }

        var parsed = new List<Row>();
        while (rows.MoveNext())
        {
            var cells = rows.Current;
            if (cells.Length == 1 && cells[0].Length == 0)
            {
                continue;
            }

            string Cell(string column) => header.TryGetValue(column, out var i) && i < cells.Length ? cells[i].Trim() : "";
            parsed.Add(new Row(
                Cell("InstanceType"),
                Cell("AcceleratorName"),
                (int)Math.Round(Number(Cell("AcceleratorCount")) ?? 0),
                Cell("Region"),
                Cell("AvailabilityZone"),
                Number(Cell("Price")),
                Number(Cell("SpotPrice")),
                GpuMemoryGib(Cell("GpuInfo"), Cell("AcceleratorName"))));
        }

        return cloud == "gcp" ? [.. GcpOffers(parsed)] : [.. parsed.Where(r => r.Gpu.Length > 0 && r.Count > 0 && r.Instance.Length > 0).SelectMany(r => r.Offers(cloud, 0, 0))];
    }

    private static IEnumerable<Offer> GcpOffers(List<Row> rows)
    {
        var hosts = rows.Where(r => r.Instance.Length > 0 && r.Gpu.Length == 0).ToList();
        foreach (var gpu in rows.Where(r => r.Instance.Length == 0 && r.Gpu.Length > 0 && r.Count > 0))
        {
            var family = GcpHostFamily(gpu.Gpu, gpu.Count);
            if (family is null)
            {
                continue;
            }

            var host = hosts.Where(h => h.Zone == gpu.Zone && family(h.Instance)).OrderBy(h => h.Price ?? double.MaxValue).FirstOrDefault();
            if (host is null)
            {
                continue;
            }

            foreach (var offer in (gpu with { Instance = host.Instance }).Offers("gcp", host.Price ?? double.NaN, host.SpotPrice ?? double.NaN))
            {
                if (!double.IsNaN(offer.PricePerHour))
                {
                    yield return offer;
                }
            }
        }
    }

    /// <summary>Which GCP machine types carry <paramref name="count"/> of a GPU; null for GPUs attached to N1 VMs.</summary>
    private static Func<string, bool>? GcpHostFamily(string gpu, int count) => gpu switch
    {
        "A100" => i => i == $"a2-highgpu-{count}g" || (count == 16 && i == "a2-megagpu-16g"),
        "A100-80GB" => i => i == $"a2-ultragpu-{count}g",
        "H100" => i => i == $"a3-highgpu-{count}g",
        "H100-MEGA" => i => i == $"a3-megagpu-{count}g",
        "H200" => i => i == $"a3-ultragpu-{count}g",
        "B200" => i => i == $"a4-highgpu-{count}g",
        "L4" => i => count switch
        {
            1 => i is "g2-standard-4" or "g2-standard-8" or "g2-standard-12" or "g2-standard-16" or "g2-standard-32",
            2 => i == "g2-standard-24",
            4 => i == "g2-standard-48",
            8 => i == "g2-standard-96",
            _ => false,
        },
        _ => null,
    };

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : null;

    private static double GpuMemoryGib(string gpuInfo, string gpu)
    {
        var match = SizeInMiB().Match(gpuInfo);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) / 1024 : GpuTypes.Memory(gpu) ?? 0;
    }

    [GeneratedRegex(@"'SizeInMiB':\s*([0-9.]+)")]
    private static partial Regex SizeInMiB();

    private sealed record Row(string Instance, string Gpu, int Count, string Region, string Zone, double? Price, double? SpotPrice, double MemoryGib)
    {
        /// <summary>The on-demand and spot offers of this row, each price plus the host's (GCP).</summary>
        public IEnumerable<Offer> Offers(string cloud, double hostPrice, double hostSpotPrice)
        {
            if (Price is { } price && price > 0)
            {
                yield return new Offer(cloud, Region, Zone, Instance, Gpu, Count, MemoryGib, false, Math.Round(price + hostPrice, 5));
            }

            if (SpotPrice is { } spot && spot > 0)
            {
                yield return new Offer(cloud, Region, Zone, Instance, Gpu, Count, MemoryGib, true, Math.Round(spot + hostSpotPrice, 5));
            }
        }
    }
}
