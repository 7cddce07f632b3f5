using System.Security.Cryptography;
using System.Text;

namespace CrossLogic.ControlPlane.Gateway.ApiKeys;

/// <summary>
/// `sk-cl-{key_id}_{secret}`: a fixed prefix for leak scanners and log redaction, an 8-character lookup id, and 256
/// random bits. Only SHA-256 of the whole key is stored; a 256-bit secret needs no slow hash.
/// </summary>
internal static class ApiKeyFormat
{
    public const string Prefix = "sk-cl-";
    private const int KeyIdLength = 8;
    private const int SecretLength = 43;
    private const string KeyIdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static (string KeyId, string Key) Mint()
    {
        var keyId = RandomNumberGenerator.GetString(KeyIdAlphabet, KeyIdLength);
        var secret = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (keyId, $"{Prefix}{keyId}_{secret}");
    }

    /// <summary>The lookup id of a well-formed key; false for anything else, before any database is asked.</summary>
    public static bool TryParse(ReadOnlySpan<char> key, out string keyId)
    {
        keyId = "";
        if (key.Length != Prefix.Length + KeyIdLength + 1 + SecretLength || !key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var id = key.Slice(Prefix.Length, KeyIdLength);
        var secret = key[(Prefix.Length + KeyIdLength + 1)..];
        if (key[Prefix.Length + KeyIdLength] != '_' || id.ContainsAnyExcept(KeyIdAlphabet) || !IsBase64Url(secret))
        {
            return false;
        }

        keyId = id.ToString();
        return true;
    }

    public static bool IsKeyId(string value) => value.Length == KeyIdLength && !value.AsSpan().ContainsAnyExcept(KeyIdAlphabet);

    public static byte[] Hash(ReadOnlySpan<char> key)
    {
        Span<byte> utf8 = stackalloc byte[128];
        var length = Encoding.UTF8.GetBytes(key, utf8);
        return SHA256.HashData(utf8[..length]);
    }

    private static bool IsBase64Url(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
