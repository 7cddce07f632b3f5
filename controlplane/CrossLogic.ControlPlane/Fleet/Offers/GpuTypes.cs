namespace CrossLogic.ControlPlane.Fleet.Offers;

/// <summary>
/// GPU names as SkyPilot spells them (`A100-80GB`, `A10G`) and their memory. The catalog's GpuInfo wins where it has a
/// size; this table covers clouds whose catalog does not say (Azure) and the local provisioner.
/// </summary>
internal static class GpuTypes
{
    private static readonly Dictionary<string, double> MemoryGib = new(StringComparer.OrdinalIgnoreCase)
    {
        ["B200"] = 180,
        ["H200"] = 141,
        ["H100"] = 80,
        ["H100-MEGA"] = 80,
        ["GH200"] = 96,
        ["A100-80GB"] = 80,
        ["A100"] = 40,
        ["L40S"] = 48,
        ["L40"] = 48,
        ["A6000"] = 48,
        ["L4"] = 24,
        ["A10G"] = 22.35,
        ["A10"] = 24,
        ["V100-32GB"] = 32,
        ["V100"] = 16,
        ["T4"] = 15,
    };

    /// <summary>The canonical spelling of a GPU name (`h100` → `H100`), or null when unknown.</summary>
    public static string? Canonical(string name, IEnumerable<string> alsoKnown)
    {
        var known = MemoryGib.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
        return known ?? alsoKnown.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
    }

    public static double? Memory(string name) => MemoryGib.TryGetValue(name, out var gib) ? gib : null;
}
