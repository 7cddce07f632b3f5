using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Gateway.Forwarding;
using CrossLogic.ControlPlane.Gateway.RateLimits;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Gateway.Usage;

namespace CrossLogic.ControlPlane.Gateway;

/// <summary>Registers the inference gateway: keys, limits, routing table, forwarder, usage.</summary>
internal static class GatewayServiceCollectionExtensions
{
    public static IServiceCollection AddGateway(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().BindConfiguration("Gateway").ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpForwarder();
        services.AddSingleton<EngineKeys>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<KeyRateLimiter>();
        services.AddSingleton<KeyConsumptionStore>();
        services.AddHostedService<KeyConsumptionSync>();
        services.AddSingleton<RoutingTable>();
        services.AddSingleton<RouteStore>();
        services.AddHostedService<RoutePublisher>();
        services.AddHostedService<PeerRouteFollower>();
        services.AddSingleton<ReplicaPicker>();
        services.AddSingleton<ReplicaHealthReporter>();
        services.AddSingleton<KnownModels>();
        services.AddSingleton<UsageStore>();
        services.AddSingleton<UsageRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageRecorder>());
        services.AddSingleton<InferenceForwarder>();
        services.AddSingleton<GatewayHandler>();
        return services;
    }
}
