namespace CrossLogic.ControlPlane.Fleet.Offers;

/// <summary>
/// The offers a provisioner can launch for a GPU type and count. SkyPilot: the catalog's cheapest per cloud, region and
/// spot/on-demand; where the catalog has none (not configured, or a GPU it lacks) one offer per allowed placement with an
/// unknown price, leaving the choice to SkyPilot's optimizer. Local: this machine, on-demand, free.
/// </summary>
internal sealed class OfferSource(OfferCatalog catalog)
{
    public IReadOnlyList<Offer> For(string provisioner, string gpuType, int gpuCount, IReadOnlyCollection<string> placement)
    {
        var memory = GpuMemoryGib(gpuType);
        if (provisioner == "local")
        {
            return placement.Count == 0 || placement.Any(p => p.StartsWith("local", StringComparison.Ordinal))
                ? [new Offer("local", "local", "", "process", gpuType, gpuCount, memory, false, 0)]
                : [];
        }

        var offers = catalog.Cheapest(gpuType, gpuCount, placement);
        if (offers.Count > 0)
        {
            return offers;
        }

        var places = placement.Count > 0 ? placement.Select(Split) : [("", "")];
        return [.. places.SelectMany(p => new[] { true, false }.Select(spot => new Offer(p.Cloud, p.Region, "", "", gpuType, gpuCount, memory, spot, 0)))];
    }

    /// <summary>GPU names this control plane can launch (built-in table and catalog).</summary>
    public string? CanonicalGpu(string name) => GpuTypes.Canonical(name, catalog.GpuNames);

    public double GpuMemoryGib(string gpuType) => catalog.All.FirstOrDefault(o => o.GpuType == gpuType && o.GpuMemoryGib > 0)?.GpuMemoryGib ?? GpuTypes.Memory(gpuType) ?? 0;

    private static (string Cloud, string Region) Split(string infra)
    {
        var parts = infra.ToLowerInvariant().Split('/');
        return (parts[0], parts.Length > 1 && parts[1] != "*" ? parts[1] : "");
    }
}
