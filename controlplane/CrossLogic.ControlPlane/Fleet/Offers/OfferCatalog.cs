using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet.Offers;

/// <summary>
/// SkyPilot's catalogs on disk (`Fleet:CatalogDirectory`, laid out as SkyPilot caches them: `&lt;cloud&gt;/vms.csv`, or
/// `&lt;cloud&gt;_*.csv` files), read once and again when a file changes. Answers: which GPUs exist, and the cheapest
/// offers for a GPU type and count.
/// </summary>
internal sealed class OfferCatalog(IOptions<FleetOptions> options, ILogger<OfferCatalog> logger)
{
    private static readonly string[] Clouds = ["aws", "gcp", "azure", "lambda", "oci", "runpod", "nebius", "fluidstack", "paperspace", "cudo", "vast", "do"];
    private readonly Lock _gate = new();
    private (DateTime Stamp, IReadOnlyList<Offer> Offers) _loaded = (DateTime.MinValue, []);

    public IReadOnlyList<Offer> All
    {
        get
        {
            var files = CatalogFiles();
            var stamp = files.Count == 0 ? DateTime.MinValue : files.Max(f => File.GetLastWriteTimeUtc(f.Path)).AddTicks(files.Count);
            lock (_gate)
            {
                if (stamp != _loaded.Stamp)
                {
                    _loaded = (stamp, Load(files));
                }

                return _loaded.Offers;
            }
        }
    }

    /// <summary>GPU names the catalog knows, beside the built-in table.</summary>
    public IEnumerable<string> GpuNames => All.Select(o => o.GpuType).Distinct(StringComparer.Ordinal);

    /// <summary>Cheapest first; at most one spot and one on-demand offer per cloud and region (its cheapest zone).</summary>
    public IReadOnlyList<Offer> Cheapest(string gpuType, int gpuCount, IReadOnlyCollection<string> infra) =>
        [.. All
            .Where(o => string.Equals(o.GpuType, gpuType, StringComparison.OrdinalIgnoreCase) && o.GpuCount == gpuCount)
            .Where(o => infra.Count == 0 || infra.Any(o.IsIn))
            .GroupBy(o => (o.Cloud, o.Region, o.Spot))
            .Select(g => g.OrderBy(o => o.PricePerHour).ThenBy(o => o.Zone, StringComparer.Ordinal).First())
            .OrderBy(o => o.PricePerHour)
            .ThenBy(o => o.Cloud, StringComparer.Ordinal)
            .ThenBy(o => o.Region, StringComparer.Ordinal)];

    private List<(string Cloud, string Path)> CatalogFiles()
    {
        var dir = options.Value.CatalogDirectory;
        if (dir.Length == 0 || !Directory.Exists(dir))
        {
            return [];
        }

        var files = new List<(string, string)>();
        foreach (var cloud in Clouds)
        {
            var nested = Path.Combine(dir, cloud, "vms.csv");
            if (File.Exists(nested))
            {
                files.Add((cloud, nested));
            }

            files.AddRange(Directory.EnumerateFiles(dir, cloud + "_*.csv").Order(StringComparer.Ordinal).Take(1).Select(f => (cloud, f)));
        }

        return files;
    }

    private List<Offer> Load(List<(string Cloud, string Path)> files)
    {
        var offers = new List<Offer>();
        foreach (var (cloud, path) in files)
        {
            try
            {
                using var reader = new StreamReader(path);
                offers.AddRange(CatalogReader.Read(cloud, reader));
            }
            catch (Exception ex) when (ex is IOException or FormatException)
            {
                FleetLog.CatalogUnreadable(logger, ex, path);
            }
        }

        FleetLog.CatalogLoaded(logger, offers.Count, files.Count);
        return offers;
    }
}
