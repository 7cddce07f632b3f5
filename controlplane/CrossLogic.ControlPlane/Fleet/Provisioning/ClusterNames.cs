using System.Security.Cryptography;
using System.Text;

namespace CrossLogic.ControlPlane.Fleet.Provisioning;

/// <summary>
/// Cluster names: `cic-{provider}-{region}-{gpu}-{spot|od}-{id6}`, lower case letters, digits and '-', starting with a
/// letter, at most <see cref="MaxLength"/> characters — valid as a SkyPilot cluster name and, after SkyPilot adds its
/// own suffix, as an instance name on AWS, GCP (63) and Azure (64). The name is also the node id.
/// </summary>
internal static class ClusterNames
{
    public const string Prefix = "cic-";
    public const int MaxLength = 45;
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string New(string provider, string region, string gpuType, int gpuCount, bool spot) =>
        Compose(provider, region, gpuType, gpuCount, spot, RandomId());

    public static string Compose(string provider, string region, string gpuType, int gpuCount, bool spot, string id6)
    {
        var gpu = Clean(gpuType, 12) + (gpuCount > 1 ? "x" + gpuCount.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
        var tail = $"-{gpu}-{(spot ? "spot" : "od")}-{id6}";
        var head = $"{Prefix}{Clean(provider, 8)}-{Clean(region.Length > 0 ? region : "any", 16)}";
        var name = head + tail;
        return name.Length <= MaxLength ? name : head[..(MaxLength - tail.Length)].TrimEnd('-') + tail;
    }

    /// <summary>True for names this control plane makes (the only clusters it may ever tear down as orphans).</summary>
    public static bool IsOurs(string name) =>
        name.StartsWith(Prefix, StringComparison.Ordinal) && name.Length <= MaxLength && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    private static string Clean(string value, int maxLength)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value.ToLowerInvariant())
        {
            var keep = c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
            if (keep || (builder.Length > 0 && builder[^1] != '-'))
            {
                builder.Append(keep ? c : '-');
            }
        }

        var cleaned = builder.ToString().Trim('-');
        cleaned = cleaned.Length > maxLength ? cleaned[..maxLength].TrimEnd('-') : cleaned;
        return cleaned.Length > 0 ? cleaned : "x";
    }

    private static string RandomId() => RandomNumberGenerator.GetString(IdAlphabet, 6);
}
