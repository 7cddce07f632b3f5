using System.Security.Cryptography;
using System.Text;
using CrossLogic.ControlPlane.Gateway;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet;

/// <summary>
/// Credentials of nodes the control plane launches itself: derived from the control plane's secret and the node id,
/// so a launch retried after a crash hands the machine the same token (the relaunch is idempotent) while only the
/// token's hash is stored. Nodes registered by hand keep random tokens.
/// </summary>
internal sealed class NodeTokens(IOptions<GatewayOptions> options)
{
    private const string Prefix = "cln_";
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.EngineKeySecret);

    public string For(string nodeId) =>
        Prefix + System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes("crosslogic/node-token/v1/" + nodeId)));
}
