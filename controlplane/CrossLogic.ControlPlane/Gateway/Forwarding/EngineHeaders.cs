using System.Net.Http.Headers;
using Microsoft.Extensions.Primitives;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Which headers pass between the client and the engine. <see cref="Withheld"/> and <see cref="AddGatewayHeaders"/> hold
/// for both paths (YARP's transformer and <see cref="EngineExchange"/>); the copies serve the exchange, as YARP copies
/// for itself.
/// </summary>
internal static class EngineHeaders
{
    /// <summary>
    /// The client's headers the engine never gets: its API key and its request id (the gateway sends its own), its
    /// cookies, and <c>Expect</c>. The gateway has read the whole body, so a client's <c>Expect: 100-continue</c> (curl
    /// sends it for bodies over 1 KB) was answered already; passed on, it would make the engine round-trip (or the
    /// client wait a second) first.
    /// </summary>
    public static readonly string[] Withheld = ["Authorization", "Cookie", "Expect", "X-Request-Id"];

    /// <summary>Hop-by-hop headers (RFC 9110 §7.6.1), those HttpClient writes itself, and <see cref="Withheld"/>.</summary>
    private static readonly HashSet<string> NotToEngine = new(
        ["Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authorization",
         "Host", "Content-Length", .. Withheld],
        StringComparer.OrdinalIgnoreCase);

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

    /// <summary>The node's engine key and the gateway's request id, in place of the client's.</summary>
    public static void AddGatewayHeaders(HttpRequestHeaders headers, ForwardingState state)
    {
        headers.TryAddWithoutValidation("Authorization", "Bearer " + state.EngineKey);
        headers.TryAddWithoutValidation("X-Request-Id", state.RequestId);
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
