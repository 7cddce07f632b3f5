using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Gateway;

/// <summary>
/// The key the gateway presents to each node's engine (vLLM `--api-key`). Derived from one secret and the node id,
/// so every control-plane replica agrees without storing it, and one node's key opens no other node.
/// </summary>
internal sealed class EngineKeys(IOptions<GatewayOptions> options)
{
    private const string Prefix = "clek_";
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.EngineKeySecret);
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);

    public string For(string nodeId) => _keys.GetOrAdd(nodeId, Derive);

    private string Derive(string nodeId)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes("crosslogic/engine-key/v1/" + nodeId));
        return Prefix + System.Buffers.Text.Base64Url.EncodeToString(mac);
    }
}
