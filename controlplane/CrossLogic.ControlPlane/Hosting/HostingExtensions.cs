using System.Net;
using CrossLogic.ControlPlane.Auth;
using CrossLogic.ControlPlane.Fleet;
using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Link;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CrossLogic.ControlPlane.Hosting;

/// <summary>Listeners and the gRPC/REST surface of the control plane.</summary>
internal static class HostingExtensions
{
    private const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static WebApplicationBuilder UseControlPlaneEndpoints(this WebApplicationBuilder builder)
    {
        var endpoints = builder.Configuration.GetSection("ControlPlane").Get<EndpointOptions>() ?? new EndpointOptions();
        if (!IPAddress.TryParse(endpoints.ListenAddress, out var address))
        {
            throw new InvalidOperationException($"ControlPlane:ListenAddress: '{endpoints.ListenAddress}' is not an IP address");
        }

        if (endpoints.InlineIoScheduling && Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
        {
            // The runtime reads this once, when the first socket is used (none is yet): socket completions then run on
            // the socket threads too, instead of being handed to the thread pool.
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
        }

        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = endpoints.InlineIoScheduling);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1 << 20;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            // Answer the agents' keepalive pings and catch silent connections from our side too.
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(10);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
            kestrel.Listen(address, endpoints.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(address, endpoints.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(address, endpoints.GatewayPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        return builder;
    }

    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<AdminTokenInterceptor>();
            grpc.MaxReceiveMessageSize = 1 << 20;
            grpc.EnableDetailedErrors = false;
        }).AddJsonTranscoding();
        services.AddGrpcReflection();
        services.AddSingleton<HealthServiceImpl>();
        services.AddSingleton<ControlPlaneInstance>();
        return services;
    }

    public static WebApplication MapControlPlane(this WebApplication app)
    {
        // The gateway port serves only the OpenAI API, dispatched before endpoint routing: the admin surface is not
        // reachable there, and inference requests skip the route matcher.
        var gatewayPort = app.Configuration.GetSection("ControlPlane").Get<EndpointOptions>()?.GatewayPort ?? new EndpointOptions().GatewayPort;
        var gateway = app.Services.GetRequiredService<GatewayHandler>();
        app.MapWhen(context => context.Connection.LocalPort == gatewayPort, branch => branch.Run(gateway.HandleAsync));
        app.UseRouting();
        app.UseUnknownJsonFieldsRefused();

        app.MapGrpcService<NodeLinkService>();
        app.MapGrpcService<FleetService>();
        app.MapGrpcService<GatewayAdminService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();
        app.MapGet("/healthz", () => Results.Text("ok"));
        // Prometheus text format; the gateway port never reaches here (its branch above answers first).
        app.MapPrometheusScrapingEndpoint();

        var health = app.Services.GetRequiredService<HealthServiceImpl>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
            health.SetStatus("crosslogic.v1.NodeLink", HealthCheckResponse.Types.ServingStatus.Serving);
            health.SetStatus("crosslogic.v1.Fleet", HealthCheckResponse.Types.ServingStatus.Serving);
            health.SetStatus("crosslogic.v1.Gateway", HealthCheckResponse.Types.ServingStatus.Serving);
        });
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            foreach (var service in new[] { "", "crosslogic.v1.NodeLink", "crosslogic.v1.Fleet", "crosslogic.v1.Gateway" })
            {
                health.SetStatus(service, HealthCheckResponse.Types.ServingStatus.NotServing);
            }
        });
        return app;
    }
}
