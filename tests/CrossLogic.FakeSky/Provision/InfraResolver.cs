namespace CrossLogic.FakeSky.Provision;

/// <summary>Turns `--infra`/`resources.infra` (or the legacy cloud/region/zone) into a <see cref="Placement"/>.</summary>
internal static class InfraResolver
{
    /// <summary>Without any infra SkyPilot's optimizer picks the cheapest cloud; the fake always picks aws/us-east-1.</summary>
    public static Placement? Resolve(string? infra, string? cloud, string? region, string? zone, out string? error)
    {
        error = null;
        if (!string.IsNullOrWhiteSpace(infra))
        {
            var parts = infra.Trim().Split('/');
            if (parts.Length > 3 || parts.Any(p => p.Length == 0))
            {
                error = $"Invalid infra format: {infra}. Expected format: cloud, cloud/region, or cloud/region/zone.";
                return null;
            }

            cloud = parts[0];
            region = parts.Length > 1 && parts[1] != "*" ? parts[1] : null;
            zone = parts.Length > 2 && parts[2] != "*" ? parts[2] : null;
        }

        if (cloud is null or "*")
        {
            return region is null && zone is null ? new Placement("aws", "us-east-1", "us-east-1a") : Resolve(null, "aws", region, zone, out error);
        }

        var id = Clouds.Normalize(cloud);
        if (id is null)
        {
            error = $"Cloud '{cloud}' is not a valid cloud among {PythonList(Clouds.Known)}.";
            return null;
        }

        if (id == "kubernetes")
        {
            return new Placement(id, region ?? Clouds.DefaultRegion(id), null);
        }

        region ??= zone is null ? Clouds.DefaultRegion(id) : Clouds.RegionOfZone(id, zone);
        zone ??= Clouds.DefaultZone(id, region);
        return new Placement(id, region, zone);
    }

    private static string PythonList(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => $"'{i}'")) + "]";
}
