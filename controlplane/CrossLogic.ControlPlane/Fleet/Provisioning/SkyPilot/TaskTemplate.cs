using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;

/// <summary>
/// Renders the SkyPilot task YAML: each `{{name}}` becomes a YAML double-quoted value, or for numbers and booleans the
/// plain scalar; `{{infra}}` a whole `infra:` line (or a comment when SkyPilot's optimizer chooses). An unknown or
/// missing placeholder is an error, not a blank.
/// </summary>
internal static partial class TaskTemplate
{
    public static string Render(string template, IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, object> scalars, string cloud, string region)
    {
        var infra = cloud.Length == 0 ? "# infra: chosen by SkyPilot's optimizer"
            : "infra: " + Quote(region.Length > 0 ? cloud + "/" + region : cloud);
        return Placeholder().Replace(template, match =>
        {
            var name = match.Groups[1].Value;
            if (name == "infra")
            {
                return infra;
            }

            if (scalars.TryGetValue(name, out var scalar))
            {
                return scalar switch
                {
                    bool b => b ? "true" : "false",
                    int i => i.ToString(CultureInfo.InvariantCulture),
                    _ => throw new InvalidOperationException($"task template: {{{{{name}}}}} must be a bool or an int"),
                };
            }

            return values.TryGetValue(name, out var value)
                ? Quote(value)
                : throw new InvalidOperationException($"task template: no value for {{{{{name}}}}}");
        });
    }

    /// <summary>A YAML double-quoted scalar: safe for any text, including `: `, `#`, quotes and newlines.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    [GeneratedRegex(@"\{\{([a-z0-9_]+)\}\}")]
    private static partial Regex Placeholder();
}
