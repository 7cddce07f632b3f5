using System.Net;
using CrossLogic.Agent.Configuration;
using CrossLogic.Agent.Engine;
using CrossLogic.Agent.Gpu;
using CrossLogic.Agent.Link;
using CrossLogic.Agent.Probe;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Hosting;

/// <summary>Composes the agent: probe API server, link client, systemd readiness.</summary>
internal static class AgentHost
{
    public static WebApplication Build(AgentOptions options, NodeCredential credential)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        // The control plane probes every few seconds: ASP.NET Core's per-request lines would drown the agent's own.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The probe API is gRPC only, served as cleartext HTTP/2 (h2c); TLS comes from the network it lives on.
            kestrel.Listen(IPAddress.Parse(options.Probe.ListenAddress), options.Probe.Port, listen => listen.Protocols = HttpProtocols.Http2);
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(credential);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => AgentIdentity.Discover(options.NodeId, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new OutboundEventQueue(options.Link.EventQueueCapacity, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<LinkState>();
        services.AddSingleton<ProbeEndpoint>();
        services.AddSingleton(options.Engine);
        services.AddSingleton(options.Preemption);
        services.AddSingleton(options.Staging);
        services.AddSingleton<Staging.EngineModelStaging>();
        services.AddSingleton<EngineMonitor>();
        services.AddSingleton<GpuMonitor>();
        services.AddSingleton<EngineSupervisor>();
        services.AddSingleton<NodeStatusReader>();
        services.AddSingleton<HealthServiceImpl>();
        services.AddSingleton<SystemdNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<SystemdNotifier>());
        services.AddHostedService<SystemdWatchdog>();
        // Order matters: GPUs are read before the engine is sized, and the engine is drained before the link says goodbye.
        services.AddHostedService<NodeLinkClient>();
        services.AddHostedService(sp => sp.GetRequiredService<GpuMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<EngineSupervisor>());
        services.AddHostedService<Preemption.PreemptionMonitor>();
        services.AddGrpc();

        var app = builder.Build();
        app.MapGrpcService<AgentProbeService>();
        app.MapGrpcService<HealthServiceImpl>();

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            app.Services.GetRequiredService<HealthServiceImpl>().SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
            app.Services.GetRequiredService<ProbeEndpoint>().Bound(AdvertisedEndpoint(app, options));
        });
        app.Lifetime.ApplicationStopping.Register(() =>
            app.Services.GetRequiredService<HealthServiceImpl>().SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing));
        return app;
    }

    private static string AdvertisedEndpoint(WebApplication app, AgentOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Probe.AdvertisedEndpoint))
        {
            return options.Probe.AdvertisedEndpoint;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var port = bound is not null && Uri.TryCreate(bound, UriKind.Absolute, out var uri) ? uri.Port : options.Probe.Port;
        var host = options.Probe.ListenAddress is "0.0.0.0" or "::" ? Environment.MachineName : options.Probe.ListenAddress;
        return $"{host}:{port}";
    }
}
