namespace CrossLogic.ControlPlane.Health;

/// <summary>Registers the health decider: the per-replica link monitor and the leader's resolver of unreachable nodes.</summary>
internal static class HealthServiceCollectionExtensions
{
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddOptions<HealthOptions>().BindConfiguration("Health").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AgentProber>();
        services.AddSingleton<UnreachableNodeResolver>();
        services.AddHostedService<LinkHealthMonitor>();
        services.AddHostedService<RoutingChangeRecorder>();
        return services;
    }
}
