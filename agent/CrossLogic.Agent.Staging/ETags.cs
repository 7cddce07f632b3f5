namespace CrossLogic.Agent.Staging;

/// <summary>What an ETag can tell: equality of versions always, the content's MD5 only for a single-part upload.</summary>
internal static class ETags
{
    public static string Bare(string? etag)
    {
        var text = etag ?? "";
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        return text.Trim('"');
    }

    public static bool SameVersion(string? a, string? b) => string.Equals(Bare(a), Bare(b), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The MD5 hex when the ETag is one: 32 hex digits and no <c>-N</c> multipart suffix. A multipart ETag is the MD5
    /// of the parts' MD5s, which needs the publisher's part size; s3rver gives multipart uploads a plain MD5, R2 does not.
    /// </summary>
    public static string? Md5(string? etag)
    {
        var bare = Bare(etag);
        return bare.Length == 32 && bare.All(char.IsAsciiHexDigit) ? bare.ToLowerInvariant() : null;
    }
}
