using System.Security.Cryptography;
using System.Text;

namespace CrossLogic.ControlPlane.Auth;

/// <summary>Mints bearer tokens and hashes them. Tokens carry 256 random bits, so a fast hash is enough.</summary>
internal static class TokenHasher
{
    public static string Mint(string prefix) => prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Constant-time comparison of a presented token with an expected hash.</summary>
    public static bool Matches(string presented, byte[] expectedHash) => CryptographicOperations.FixedTimeEquals(Hash(presented), expectedHash);

    /// <summary>The token from `authorization: Bearer &lt;token&gt;`, or null.</summary>
    public static string? FromAuthorizationHeader(string? header)
    {
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[scheme.Length..].Trim();
        return token.Length is > 0 and <= 512 ? token : null;
    }
}
