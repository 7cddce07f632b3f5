using System.Diagnostics.CodeAnalysis;

namespace CrossLogic.Agent.Staging;

/// <summary>A model in a bucket: every object under <see cref="Prefix"/> is one of its files.</summary>
public sealed record S3ModelLocation
{
    private S3ModelLocation(string bucket, string prefix)
    {
        Bucket = bucket;
        Prefix = prefix;
    }

    public string Bucket { get; }

    /// <summary>The key prefix, always ending in '/' so that <c>models/a</c> never takes in <c>models/a-v2</c>.</summary>
    public string Prefix { get; }

    /// <summary>The last segment of the prefix (<c>llama-3-8b</c> for <c>s3://b/models/llama-3-8b/</c>).</summary>
    public string Name => Prefix.TrimEnd('/').Split('/')[^1];

    /// <summary>Parses <c>s3://bucket/models/name/</c>; throws an <see cref="ArgumentException"/> saying what is wrong.</summary>
    public static S3ModelLocation Parse(string text) =>
        TryParse(text, out var location, out var error) ? location : throw new ArgumentException(error, nameof(text));

    public static bool TryParse(string? text, [NotNullWhen(true)] out S3ModelLocation? location, [NotNullWhen(false)] out string? error)
    {
        location = null;
        error = Check(text, out var bucket, out var prefix);
        if (error is not null)
        {
            return false;
        }

        location = new S3ModelLocation(bucket, prefix);
        return true;
    }

    public override string ToString() => $"s3://{Bucket}/{Prefix}";

    private static string? Check(string? text, out string bucket, out string prefix)
    {
        bucket = prefix = "";
        const string Example = "expected s3://bucket/path/to/model/";
        if (string.IsNullOrWhiteSpace(text))
        {
            return $"The model location is empty; {Example}.";
        }

        if (!text.StartsWith("s3://", StringComparison.Ordinal))
        {
            return $"The model location '{text}' does not start with s3://; {Example}.";
        }

        var rest = text["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        bucket = slash < 0 ? rest : rest[..slash];
        prefix = slash < 0 ? "" : rest[(slash + 1)..];

        if (!IsBucketName(bucket))
        {
            return $"The model location '{text}' has no valid bucket name ('{bucket}'): 3–63 characters of a–z, 0–9, '.' and '-', starting and ending with a letter or digit.";
        }

        if (prefix.Trim('/').Length == 0)
        {
            return $"The model location '{text}' names a bucket but no model path; {Example}.";
        }

        if (prefix.StartsWith('/') || prefix.Contains("//", StringComparison.Ordinal) || prefix.Contains('\\', StringComparison.Ordinal))
        {
            return $"The model location '{text}' has an empty path segment or a backslash; {Example}.";
        }

        if (prefix.Split('/').Any(segment => segment is "." or ".."))
        {
            return $"The model location '{text}' contains a '.' or '..' segment.";
        }

        if (prefix.Any(char.IsControl))
        {
            return $"The model location '{text}' contains a control character.";
        }

        if (!prefix.EndsWith('/'))
        {
            prefix += "/";
        }

        return null;
    }

    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-')
        && char.IsAsciiLetterOrDigit(name[0])
        && char.IsAsciiLetterOrDigit(name[^1]);
}
