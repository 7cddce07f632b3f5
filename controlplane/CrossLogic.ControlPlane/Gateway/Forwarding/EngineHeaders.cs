using System.Net.Http.Headers;
using Microsoft.Extensions.Primitives;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>Which headers pass between the client and the engine on the gateway's direct path.</summary>
internal static class EngineHeaders
{
    /// <summary>Hop-by-hop headers (RFC 9110 §7.6.1) and those the gateway sets itself or keeps from the engine.</summary>
    private static readonly HashSet<string> NotToEngine = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authorization",
        "Host", "Content-Length", "Authorization", "Cookie", "Expect", "X-Request-Id",
    };

    private static readonly HashSet<string> NotToClient = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authenticate",
        "Content-Length", "Server", "Date", "X-Request-Id",
    };

    public static void CopyRequest(IHeaderDictionary from, HttpRequestMessage to)
    {
        foreach (var (name, values) in from)
        {
            if (NotToEngine.Contains(name))
            {
                continue;
            }

            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                to.Content!.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
            else
            {
                to.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
        }
    }

    public static void CopyResponse(HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var (name, values) in from.NonValidated)
        {
            if (!NotToClient.Contains(name))
            {
                to[name] = values.Count == 1 ? new StringValues(values.ToString()) : new StringValues([.. values]);
            }
        }
    }
}
