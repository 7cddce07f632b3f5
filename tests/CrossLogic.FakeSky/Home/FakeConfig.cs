using System.Text.Json.Serialization;

namespace CrossLogic.FakeSky.Home;

/// <summary>config.json, written by tests and re-read on every invocation. Unknown keys fail fast.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class FakeConfig
{
    /// <summary>How long a launch stays INIT before the cluster is UP.</summary>
    public int LaunchDelayMs { get; set; } = 200;

    public int DownDelayMs { get; set; } = 50;

    /// <summary>false: an older sky without `-o/--output` on `sky status`.</summary>
    public bool JsonOutput { get; set; } = true;

    /// <summary>true: every command first prints the lines of an API server being auto-started.</summary>
    public bool ApiServerBanner { get; set; }

    /// <summary>Run (detached, own process group) once a cluster is UP: stands in for the VM running setup + run.</summary>
    public string? BootCommand { get; set; }

    /// <summary>The "Enabled Infra:" line of `sky status`.</summary>
    public List<string> EnabledInfra { get; set; } = ["aws", "azure", "gcp", "lambda"];

    public List<FaultRule> Rules { get; set; } = [];
}

/// <summary>Makes matching launches (or downs) fail with SkyPilot's text for that failure.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class FaultRule
{
    /// <summary>Infra prefix matched against "cloud/region/zone" at segment boundaries; "*" matches everything.</summary>
    public string Match { get; set; } = "*";

    /// <summary>null: spot and on-demand alike.</summary>
    public bool? UseSpot { get; set; }

    /// <summary>no_capacity, quota, auth, catalog or down_failure.</summary>
    public string Error { get; set; } = "";

    /// <summary>Fail only the first N matching launches; null = always.</summary>
    public int? Times { get; set; }

    /// <summary>Identifies the rule in state.json's hit counts, so rewriting config.json with the same rule keeps its count.</summary>
    [JsonIgnore]
    public string Key => $"{Match}|{UseSpot?.ToString() ?? "any"}|{Error}|{Times?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "always"}";
}

/// <summary>The failures a <see cref="FaultRule"/> can inject.</summary>
internal static class FaultKind
{
    public const string NoCapacity = "no_capacity";
    public const string Quota = "quota";
    public const string Auth = "auth";
    public const string Catalog = "catalog";
    public const string DownFailure = "down_failure";

    public static readonly string[] All = [NoCapacity, Quota, Auth, Catalog, DownFailure];
}
