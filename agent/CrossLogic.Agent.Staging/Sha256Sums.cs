namespace CrossLogic.Agent.Staging;

/// <summary>
/// The model's manifest: a <c>SHA256SUMS</c> object at the root of the prefix, as <c>sha256sum</c> writes it
/// (<c>&lt;64 hex&gt;  &lt;relative path&gt;</c>, or <c>&lt;hex&gt; *&lt;path&gt;</c>; a leading <c>./</c> is dropped), so a
/// publisher makes it with <c>find . -type f ! -name SHA256SUMS -exec sha256sum {} + &gt; SHA256SUMS</c> and anyone
/// checks a local copy with <c>sha256sum -c SHA256SUMS</c>. Chosen over a JSON manifest for that reason: standard
/// tools on both ends, and the listing already gives the sizes.
/// </summary>
internal static class Sha256Sums
{
    public const string ObjectName = "SHA256SUMS";

    /// <summary>Relative path → lowercase hex sha256; throws a <see cref="StagingException"/> naming the first bad line.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.Length < 67 || !IsHex(line.AsSpan(0, 64)) || line[64] != ' ' || line[65] is not (' ' or '*'))
            {
                throw new StagingException($"{ObjectName} line {lineNumber} is not '<64 hex digits>  <relative path>': '{Shorten(line)}'.");
            }

            var path = line[66..];
            if (path.StartsWith("./", StringComparison.Ordinal))
            {
                path = path[2..];
            }

            if (!sums.TryAdd(path, line[..64].ToLowerInvariant()))
            {
                throw new StagingException($"{ObjectName} line {lineNumber} lists '{path}' a second time.");
            }
        }

        return sums;
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Shorten(string line) => line.Length <= 120 ? line : line[..120] + "…";
}
