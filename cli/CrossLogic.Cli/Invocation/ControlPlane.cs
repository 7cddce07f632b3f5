using CrossLogic.Contracts.V1;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace CrossLogic.Cli.Invocation;

/// <summary>One gRPC channel to the control plane and the two services clctl speaks: Fleet and Gateway.</summary>
internal sealed class ControlPlane : IDisposable
{
    /// <summary>How long one unary call may take before clctl calls the control plane unreachable.</summary>
    private static readonly TimeSpan UnaryTimeout = TimeSpan.FromSeconds(30);

    private readonly GrpcChannel _channel;

    public ControlPlane(ConnectionSettings settings)
    {
        // http:// is cleartext HTTP/2 with prior knowledge (h2c), which is what the control plane's gRPC port speaks.
        _channel = GrpcChannel.ForAddress(settings.Server, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), EnableMultipleHttp2Connections = true },
        });
        var invoker = _channel.Intercept(new ControlPlaneInterceptor(settings.Token, UnaryTimeout, TimeProvider.System));
        Fleet = new Fleet.FleetClient(invoker);
        Gateway = new Gateway.GatewayClient(invoker);
    }

    public Fleet.FleetClient Fleet { get; }

    public Gateway.GatewayClient Gateway { get; }

    public void Dispose() => _channel.Dispose();
}
