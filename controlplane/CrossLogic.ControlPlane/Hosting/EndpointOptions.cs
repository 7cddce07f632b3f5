using System.ComponentModel.DataAnnotations;

namespace CrossLogic.ControlPlane.Hosting;

/// <summary>
/// The control plane's listeners (`ControlPlane:*`). Cleartext HTTP/2 (h2c) needs prior knowledge, and Kestrel
/// cannot offer HTTP/1.1 and h2c on one cleartext port, so gRPC (agents, grpcurl, the CLI) and REST/HTTP get a port each.
/// Behind TLS one port could serve both through ALPN.
/// </summary>
internal sealed class EndpointOptions
{
    /// <summary>Address both listeners bind.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>gRPC over cleartext HTTP/2: NodeLink, Fleet, reflection, health.</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; } = 7001;

    /// <summary>HTTP/1.1: the REST facade of Fleet (JSON transcoding).</summary>
    [Range(0, 65535)]
    public int HttpPort { get; set; } = 7080;

    /// <summary>HTTP/1.1: the OpenAI-compatible inference API for customers. Its own port, so it can face the internet
    /// while the admin ports stay private.</summary>
    [Range(0, 65535)]
    public int GatewayPort { get; set; } = 8080;

    /// <summary>
    /// Run request code on the socket threads instead of handing each read and write to the thread pool (Kestrel's
    /// `UnsafePreferInlineScheduling` and the runtime's `DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS`): fewer thread
    /// switches per request, which are most of a proxy's added latency on a small box. `./scripts/bench gateway`
    /// measured p50 added 0.68 → 0.39 ms at 500 rps, and 547 → 385 µs of control-plane CPU per request. Safe because
    /// nothing in the control plane blocks a thread on I/O; turn it off if an extension does.
    /// </summary>
    public bool InlineIoScheduling { get; set; } = true;
}
