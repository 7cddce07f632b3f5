namespace CrossLogic.FakeSky.Provision;

/// <summary>Where a cluster runs: lower-case cloud id, region, and zone where the cloud has zones.</summary>
internal sealed record Placement(string Cloud, string Region, string? Zone)
{
    public string CloudDisplay => Clouds.Display(Cloud);

    /// <summary>"aws/us-east-1/us-east-1a": what fault rules match against.</summary>
    public string Path => Zone is null ? $"{Cloud}/{Region}" : $"{Cloud}/{Region}/{Zone}";

    /// <summary>The INFRA cell of `sky status`: "AWS (us-east-1a)", "Lambda (us-east-1)".</summary>
    public string InfraCell => $"{CloudDisplay} ({Zone ?? Region})";

    /// <summary>"⚙︎ Launching on AWS us-east-1 (us-east-1a)."</summary>
    public string LaunchingOn => Zone is null ? $"{CloudDisplay} {Region}" : $"{CloudDisplay} {Region} ({Zone})";
}

/// <summary>The clouds the fake knows, with SkyPilot's display names and default regions.</summary>
internal static class Clouds
{
    public static readonly string[] Known = ["aws", "azure", "gcp", "kubernetes", "lambda"];

    public static string? Normalize(string cloud) => cloud.ToLowerInvariant() switch
    {
        "k8s" => "kubernetes",
        var c when Known.Contains(c) => c,
        _ => null,
    };

    public static string Display(string cloud) => cloud switch
    {
        "aws" => "AWS",
        "gcp" => "GCP",
        "azure" => "Azure",
        "lambda" => "Lambda",
        "kubernetes" => "Kubernetes",
        _ => cloud,
    };

    public static string DefaultRegion(string cloud) => cloud switch
    {
        "gcp" => "us-central1",
        "azure" => "eastus",
        "kubernetes" => "in-cluster",
        _ => "us-east-1",
    };

    /// <summary>AWS "us-east-1" → "us-east-1a", GCP "us-central1" → "us-central1-a"; the others have no zones.</summary>
    public static string? DefaultZone(string cloud, string region) => cloud switch
    {
        "aws" => region + "a",
        "gcp" => region + "-a",
        _ => null,
    };

    /// <summary>The region a zone belongs to, for `--infra gcp/*/us-central1-b`.</summary>
    public static string RegionOfZone(string cloud, string zone) => cloud switch
    {
        "gcp" when zone.LastIndexOf('-') > 0 => zone[..zone.LastIndexOf('-')],
        "aws" when zone.Length > 1 => zone[..^1],
        _ => zone,
    };
}
