using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Cli.Output;

/// <summary>How clctl writes values in tables and lines.</summary>
internal static partial class Formats
{
    /// <summary>`L4×1`; a count of 0 (automatic sizing not yet decided) is `L4×auto`.</summary>
    public static string Gpus(string type, int count) => $"{(type.Length > 0 ? type : "?")}×{(count > 0 ? count.ToString(CultureInfo.InvariantCulture) : "auto")}";

    /// <summary>US dollars; 0 means the price is unknown (local machines, SkyPilot choosing).</summary>
    public static string Price(double dollars) => dollars > 0 ? "$" + dollars.ToString("0.00##", CultureInfo.InvariantCulture) : "-";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>UTC, to the second: `2025-01-31 14:05:09Z`; unset is `-`.</summary>
    public static string Time(Timestamp? time) =>
        time is null ? "-" : time.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A protobuf enum value by its proto name (`READY`, `SPOT_FIRST`), as the JSON and the docs spell it.</summary>
    public static string EnumName<T>(T value)
        where T : struct, System.Enum => UpperSnake().Replace(value.ToString(), "$1_$2").ToUpperInvariant();

    public static string YesNo(bool value) => value ? "yes" : "no";

    public static string OrDash(string value) => value.Length > 0 ? value : "-";

    /// <summary>`30s`, `10m`, `2h`, `30d`, or a sum such as `1h30m`.</summary>
    public static string Duration(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0s";
        }

        var parts = new List<string>();
        if (value.Days > 0)
        {
            parts.Add($"{value.Days}d");
        }

        if (value.Hours > 0)
        {
            parts.Add($"{value.Hours}h");
        }

        if (value.Minutes > 0)
        {
            parts.Add($"{value.Minutes}m");
        }

        if (value.Seconds > 0)
        {
            parts.Add($"{value.Seconds}s");
        }

        if (value.Milliseconds > 0)
        {
            parts.Add($"{value.Milliseconds}ms");
        }

        return string.Concat(parts);
    }

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex UpperSnake();
}
