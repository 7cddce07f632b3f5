namespace CrossLogic.FakeSky.Task;

/// <summary>SkyPilot shows task YAMLs with secret values replaced; `sky status -o json` does the same here.</summary>
internal static class SecretRedaction
{
    public const string Redacted = "<redacted>";

    /// <summary>Replaces every non-null value under the top-level `secrets:` mapping, keeping the rest of the text.</summary>
    public static string Redact(string yaml)
    {
        var lines = yaml.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var inSecrets = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length > 0 && line[0] != ' ' && line[0] != '#')
            {
                inSecrets = line.StartsWith("secrets:", StringComparison.Ordinal);
                continue;
            }

            if (!inSecrets)
            {
                continue;
            }

            var content = MiniYaml.StripComment(line).TrimEnd();
            var colon = content.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var value = content[(colon + 2)..].Trim();
            if (value is not ("" or "null" or "~" or "Null" or "NULL"))
            {
                lines[i] = content[..(colon + 2)] + Redacted;
            }
        }

        return string.Join('\n', lines);
    }
}
