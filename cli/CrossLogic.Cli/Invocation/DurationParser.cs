using System.Globalization;
using System.Text.RegularExpressions;

namespace CrossLogic.Cli.Invocation;

/// <summary>Reads durations as operators write them: `30s`, `10m`, `2h`, `30d`, `500ms`, or sums such as `1h30m`.</summary>
internal static partial class DurationParser
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var match = Duration().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        try
        {
            var parts = match.Groups["amount"].Captures.Zip(match.Groups["unit"].Captures);
            foreach (var (amount, unit) in parts)
            {
                var n = long.Parse(amount.Value, CultureInfo.InvariantCulture);
                value += unit.Value switch
                {
                    "ms" => TimeSpan.FromMilliseconds(n),
                    "s" => TimeSpan.FromSeconds(n),
                    "m" => TimeSpan.FromMinutes(n),
                    "h" => TimeSpan.FromHours(n),
                    _ => TimeSpan.FromDays(n),
                };
            }

            return true;
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^(?:(?<amount>\d{1,9})(?<unit>ms|s|m|h|d))+$")]
    private static partial Regex Duration();
}
