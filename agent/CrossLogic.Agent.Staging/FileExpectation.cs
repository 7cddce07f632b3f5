using System.Security.Cryptography;

namespace CrossLogic.Agent.Staging;

/// <summary>What a file's bytes must hash to, and where that hash came from; no digest means size only.</summary>
internal sealed record FileExpectation(VerificationMethod Method, string? Digest)
{
    public static readonly FileExpectation SizeOnly = new(VerificationMethod.SizeOnly, null);

    public HashAlgorithmName? Algorithm => Method switch
    {
        VerificationMethod.Sha256Manifest or VerificationMethod.Sha256Metadata => HashAlgorithmName.SHA256,
        VerificationMethod.EtagMd5 => HashAlgorithmName.MD5,
        _ => null,
    };

    /// <summary>A sha256 from <c>x-amz-meta-sha256</c>: 64 hex digits, or the 32 bytes in base64 (as some uploaders write it).</summary>
    public static string? ParseSha256(string? value)
    {
        var text = value?.Trim() ?? "";
        if (text.Length == 64 && text.All(char.IsAsciiHexDigit))
        {
            return text.ToLowerInvariant();
        }

        var bytes = new byte[48];
        return Convert.TryFromBase64String(text, bytes, out var written) && written == 32 ? Convert.ToHexStringLower(bytes, 0, 32) : null;
    }
}
