using System.Text;
using Grpc.Core;

namespace CrossLogic.ControlPlane.Fleet;

/// <summary>Opaque keyset page tokens and page-size rules (AIP-158).</summary>
internal static class PageToken
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static int Size(int requested) => requested switch
    {
        < 0 => throw new RpcException(new Status(StatusCode.InvalidArgument, "page_size must not be negative")),
        0 => DefaultPageSize,
        > MaxPageSize => MaxPageSize,
        _ => requested,
    };

    public static string Encode(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes("k:" + key));

    public static string Decode(string token)
    {
        if (token.Length == 0)
        {
            return "";
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith("k:", StringComparison.Ordinal))
            {
                return text[2..];
            }
        }
        catch (FormatException)
        {
        }

        throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not one this API returned"));
    }
}
