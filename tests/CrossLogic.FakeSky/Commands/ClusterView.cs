using System.Globalization;
using CrossLogic.FakeSky.Home;
using CrossLogic.FakeSky.Provision;

namespace CrossLogic.FakeSky.Commands;

/// <summary>How `sky status` renders one cluster's fields (shared by the table and the JSON).</summary>
internal static class ClusterView
{
    public static Placement PlacementOf(ClusterRecord c) => new(c.Cloud, c.Region, c.Zone);

    /// <summary>"1x[spot](gpus=H100:8, p5.48xlarge, ...)"; the instance type is cut at 15 characters.</summary>
    public static string ResourcesShort(ClusterRecord c)
    {
        var elements = Accelerated(c) ? [$"gpus={c.Accelerators}"] : new List<string> { $"cpus={c.Cpus}", $"mem={c.Memory}" };
        elements.Add(c.InstanceType.Length > 15 ? c.InstanceType[..15] + "..." : c.InstanceType);
        elements.Add("...");
        return $"{c.Nodes}x{(c.UseSpot ? "[spot]" : "")}({string.Join(", ", elements)})";
    }

    /// <summary>"1x[spot](gpus=H100:8, cpus=192, mem=2048, p5.48xlarge, disk=512, disk_tier=best, ports=['8081'])".</summary>
    public static string ResourcesFull(ClusterRecord c)
    {
        var elements = new List<string>();
        if (Accelerated(c))
        {
            elements.Add($"gpus={c.Accelerators}");
        }

        elements.Add($"cpus={c.Cpus}");
        elements.Add($"mem={c.Memory}");
        elements.Add(c.InstanceType);
        elements.Add($"disk={c.DiskSize}");
        if (c.DiskTier is not null)
        {
            elements.Add($"disk_tier={c.DiskTier}");
        }

        if (c.Ports.Count > 0)
        {
            elements.Add("ports=[" + string.Join(", ", c.Ports.Select(p => $"'{p}'")) + "]");
        }

        return $"{c.Nodes}x{(c.UseSpot ? "[spot]" : "")}({string.Join(", ", elements)})";
    }

    /// <summary>"{'H100': 8}" (Python repr of the accelerator dict), or null.</summary>
    public static string? AcceleratorsRepr(ClusterRecord c)
    {
        if (!Accelerated(c))
        {
            return null;
        }

        var colon = c.Accelerators!.LastIndexOf(':');
        return $"{{'{c.Accelerators[..colon]}': {c.Accelerators[(colon + 1)..]}}}";
    }

    /// <summary>"-" when off, "30m", "30m (down)".</summary>
    public static string Autostop(ClusterRecord c) =>
        c.Autostop < 0 ? "-" : $"{c.Autostop}m{(c.ToDown ? " (down)" : "")}";

    /// <summary>pendulum's diff_for_humans with SkyPilot's short units: "a few secs ago", "12 mins ago", "2 days ago".</summary>
    public static string Launched(long launchedAt, long now)
    {
        var seconds = Math.Max(0, now - launchedAt);
        static string Ago(long n, string unit) => $"{n} {unit}{(n == 1 ? "" : "s")} ago";
        return seconds switch
        {
            < 10 => "a few secs ago",
            < 60 => Ago(seconds, "sec"),
            < 3600 => Ago(seconds / 60, "min"),
            < 86400 => Ago(seconds / 3600, "hr"),
            < 7 * 86400 => Ago(seconds / 86400, "day"),
            < 30 * 86400 => Ago(seconds / (7 * 86400), "week"),
            < 365 * 86400 => Ago(seconds / (30 * 86400), "month"),
            _ => Ago(seconds / (365 * 86400), "year"),
        };
    }

    /// <summary>Python's common_utils.truncate_long_string(s, 50): cut on a word boundary, then "...".</summary>
    public static string Truncate(string text, int max = 50)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var words = text.Split(' ');
        if (words[0].Length > max)
        {
            return words[0][..max] + "...";
        }

        // Python's `for i, part in enumerate(splits)` leaves i at the last index when it never breaks.
        var total = 0;
        var i = 0;
        for (; i < words.Length - 1; i++)
        {
            total += words[i].Length;
            if (total >= max)
            {
                break;
            }
        }

        var prefix = string.Join(' ', words.Take(i));
        if (prefix.Length < max)
        {
            prefix += text[prefix.Length..max];
        }

        return prefix + "...";
    }

    public static string CloudName(ClusterRecord c) => Clouds.Display(c.Cloud);

    public static string Price(ClusterRecord c) => c.HourlyPrice.ToString("0.00", CultureInfo.InvariantCulture);

    private static bool Accelerated(ClusterRecord c) => c.Accelerators is { } a && a.Contains(':', StringComparison.Ordinal);
}
