using System.Text.RegularExpressions;

namespace CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;

/// <summary>
/// Maps what a failed `sky` command printed to a <see cref="ProvisionFailure"/>. SkyPilot prints its exception's class
/// and message (`sky.exceptions.ResourcesUnavailableError: …`) with the per-candidate reasons below it; the most
/// specific cause wins: quota and auth reasons inside a ResourcesUnavailableError are not mere "no capacity".
/// </summary>
internal static partial class SkyErrorClassifier
{
    public static ProvisionFailure Classify(string output)
    {
        if (Catalog().IsMatch(output))
        {
            return ProvisionFailure.Invalid;
        }

        if (Quota().IsMatch(output))
        {
            return ProvisionFailure.Quota;
        }

        if (Auth().IsMatch(output))
        {
            return ProvisionFailure.Auth;
        }

        if (NoCapacity().IsMatch(output))
        {
            return ProvisionFailure.NoCapacity;
        }

        if (UnknownCluster().IsMatch(output))
        {
            return ProvisionFailure.UnknownCluster;
        }

        return Invalid().IsMatch(output) ? ProvisionFailure.Invalid : ProvisionFailure.Transient;
    }

    /// <summary>The line an operator should read: the exception line if there is one, else the last non-empty line.</summary>
    public static string Summary(string output)
    {
        var lines = output.Split('\n').Select(l => AnsiCodes().Replace(l, "").Trim()).Where(l => l.Length > 0).ToList();
        var exception = lines.FirstOrDefault(l => l.StartsWith("sky.exceptions.", StringComparison.Ordinal) || l.StartsWith("Error:", StringComparison.Ordinal));
        var summary = exception ?? lines.LastOrDefault() ?? "no output";
        return summary.Length > 500 ? summary[..500] + "…" : summary;
    }

    [GeneratedRegex(@"Catalog does not contain|InvalidSkyPilotConfigError|Invalid task YAML|is not a valid|ResourcesMismatchError")]
    private static partial Regex Catalog();

    [GeneratedRegex(@"Quota '|QUOTA_EXCEEDED|VcpuLimitExceeded|LimitExceeded|exceeded quota|QuotaExceeded|Operation could not be completed as it results in exceeding approved .* quota")]
    private static partial Regex Quota();

    [GeneratedRegex(@"CloudUserIdentityError|InvalidCloudCredentials|AuthFailure|credentials (are|were) (not|invalid)|Failed to get cloud user identity|No cloud is enabled|UnauthorizedOperation|Permission denied on resource|PERMISSION_DENIED")]
    private static partial Regex Auth();

    [GeneratedRegex(@"ResourcesUnavailableError|Failed to provision all possible launchable resources|InsufficientInstanceCapacity|ZONE_RESOURCE_POOL_EXHAUSTED|SkuNotAvailable|capacity", RegexOptions.IgnoreCase)]
    private static partial Regex NoCapacity();

    [GeneratedRegex(@"ClusterDoesNotExist|Cluster '[^']*' does not exist")]
    private static partial Regex UnknownCluster();

    [GeneratedRegex(@"^Error: |^Usage: |InvalidSkyPilotConfig|ValueError", RegexOptions.Multiline)]
    private static partial Regex Invalid();

    [GeneratedRegex(@"\x1b\[[0-9;]*[A-Za-z]")]
    internal static partial Regex AnsiCodes();
}
