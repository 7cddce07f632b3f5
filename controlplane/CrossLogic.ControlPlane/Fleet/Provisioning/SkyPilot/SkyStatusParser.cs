using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;

/// <summary>
/// Reads `sky status` in both shapes: the JSON array of `-o json` (newest SkyPilot), and the table older releases print
/// (columns separated by two or more spaces, ANSI colours, section titles and hints around it). Lenient about fields
/// it does not need; strict about the ones it does (name, status).
/// </summary>
internal static partial class SkyStatusParser
{
    public static IReadOnlyList<ClusterStatus> ParseJson(string output)
    {
        // An API server may print log lines before the JSON.
        var start = output.IndexOf("\n[", StringComparison.Ordinal) is var nl and >= 0 && !output.TrimStart().StartsWith('[') ? nl + 1 : output.IndexOf('[');
        if (start < 0)
        {
            throw new ProvisionException(ProvisionFailure.Transient, "sky status -o json printed no JSON array: " + SkyErrorClassifier.Summary(output));
        }

        using var document = JsonDocument.Parse(output[start..]);
        var clusters = new List<ClusterStatus>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var name = item.GetProperty("name").GetString() ?? "";
            var status = item.GetProperty("status").GetString() ?? "";
            var launched = item.TryGetProperty("launched_at", out var at) && at.ValueKind == JsonValueKind.Number
                ? DateTimeOffset.FromUnixTimeSeconds(at.GetInt64()) : (DateTimeOffset?)null;
            clusters.Add(new ClusterStatus(name, StateOf(status), Text(item, "cloud").ToLowerInvariant(), Text(item, "region"), launched));
        }

        return clusters;
    }

    /// <summary>The `Clusters` table of plain `sky status`; cloud and region from the INFRA column (`AWS (us-east-1c)`).</summary>
    public static IReadOnlyList<ClusterStatus> ParseTable(string output)
    {
        var lines = output.Split('\n').Select(l => SkyErrorClassifier.AnsiCodes().Replace(l, "").TrimEnd('\r', ' ')).ToList();
        var header = lines.FindIndex(l => l.StartsWith("NAME ", StringComparison.Ordinal) && l.Contains(" STATUS", StringComparison.Ordinal));
        if (header < 0)
        {
            // Only SkyPilot's own "nothing here" lines mean an empty list; anything else (a warning, an error) is not.
            return lines.Any(l => l is "No existing clusters." || NotFoundLine().IsMatch(l))
                ? []
                : throw new ProvisionException(ProvisionFailure.Transient, "sky status printed no cluster table: " + SkyErrorClassifier.Summary(output));
        }

        var columns = Columns().Split(lines[header]);
        var nameAt = Array.IndexOf(columns, "NAME");
        var infraAt = Array.IndexOf(columns, "INFRA");
        var statusAt = Array.IndexOf(columns, "STATUS");
        var clusters = new List<ClusterStatus>();
        foreach (var line in lines.Skip(header + 1))
        {
            if (line.Length == 0)
            {
                break;
            }

            var cells = Columns().Split(line);
            if (cells.Length != columns.Length)
            {
                throw new ProvisionException(ProvisionFailure.Transient, $"sky status: cannot split the row '{line}' into {columns.Length} columns");
            }

            var (cloud, region) = infraAt >= 0 ? Infra(cells[infraAt]) : ("", "");
            clusters.Add(new ClusterStatus(cells[nameAt], StateOf(cells[statusAt]), cloud, region, null));
        }

        return clusters;
    }

    /// <summary>`http://1.2.3.4:8000` or `1.2.3.4:8000` from `sky status --endpoint PORT NAME`: the last address printed.</summary>
    public static string ParseEndpoint(string output)
    {
        var matches = Endpoint().Matches(SkyErrorClassifier.AnsiCodes().Replace(output, ""));
        return matches.Count > 0
            ? matches[^1].Groups["host"].Value + ":" + matches[^1].Groups["port"].Value
            : throw new ProvisionException(ProvisionFailure.Transient, "sky status --endpoint printed no address: " + SkyErrorClassifier.Summary(output));
    }

    private static ClusterState StateOf(string status) => status.Trim() switch
    {
        "UP" => ClusterState.Up,
        "STOPPED" => ClusterState.Stopped,
        // INIT, PENDING, AUTOSTOPPING and whatever a newer release adds: in transition, never taken as gone.
        _ => ClusterState.Starting,
    };

    /// <summary>`AWS (us-east-1c)` → (`aws`, `us-east-1`); `GCP (us-central1-a)` → (`gcp`, `us-central1`).</summary>
    private static (string Cloud, string Region) Infra(string cell)
    {
        var match = InfraCell().Match(cell);
        if (!match.Success)
        {
            return (cell.Trim().ToLowerInvariant(), "");
        }

        var cloud = match.Groups[1].Value.ToLowerInvariant();
        var location = match.Groups[2].Value;
        var region = cloud switch
        {
            "aws" when AwsZone().IsMatch(location) => location[..^1],
            "gcp" when GcpZone().IsMatch(location) => location[..location.LastIndexOf('-')],
            _ => location,
        };
        return (cloud, region);
    }

    private static string Text(JsonElement item, string property) =>
        item.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    [GeneratedRegex(@"^Cluster '[^']*' not found\.$|^Cluster\(s\) not found")]
    private static partial Regex NotFoundLine();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Columns();

    [GeneratedRegex(@"^(\S+)\s*\(([^)]*)\)")]
    private static partial Regex InfraCell();

    [GeneratedRegex(@"^[a-z]+-[a-z]+-\d+[a-z]$")]
    private static partial Regex AwsZone();

    [GeneratedRegex(@"^[a-z]+-[a-z]+\d+-[a-z]$")]
    private static partial Regex GcpZone();

    [GeneratedRegex(@"(?:https?://)?(?<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(?<port>\d{1,5})")]
    private static partial Regex Endpoint();
}
