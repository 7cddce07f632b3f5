using CrossLogic.ControlPlane.Fleet.Deployments;
using CrossLogic.ControlPlane.Fleet.Offers;
using CrossLogic.ControlPlane.Fleet.Outbox;
using CrossLogic.ControlPlane.Fleet.Provisioning;
using CrossLogic.ControlPlane.Fleet.Provisioning.Local;
using CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;
using CrossLogic.ControlPlane.Fleet.Reconcile;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet;

/// <summary>Registers fleet management: provisioners, offers, deployments, the outbox worker and the reconciler.</summary>
internal static class FleetServiceCollectionExtensions
{
    public static IServiceCollection AddFleet(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FleetOptions>().BindConfiguration("Fleet").ValidateDataAnnotations()
            .Validate(o => o.Provisioners.Count > 0 && o.Provisioners.All(p => p is "local" or "skypilot"), "Fleet:Provisioners: each must be 'local' or 'skypilot'")
            .Validate(o => o.Provisioners.Contains(o.DefaultProvisioner), "Fleet:DefaultProvisioner must be one of Fleet:Provisioners")
            .ValidateOnStart();
        services.AddOptions<Hosting.EndpointOptions>().BindConfiguration("ControlPlane");
        services.AddOptions<LocalProvisionerOptions>().BindConfiguration("Provisioners:Local");
        services.AddOptions<SkyPilotOptions>().BindConfiguration("Provisioners:SkyPilot");

        var enabled = configuration.GetSection("Fleet:Provisioners").Get<List<string>>() is { Count: > 0 } list ? list : ["local"];
        if (enabled.Contains("local"))
        {
            services.AddSingleton<INodeProvisioner, LocalProvisioner>();
        }

        if (enabled.Contains("skypilot"))
        {
            services.AddSingleton<SkyCli>();
            services.AddSingleton<INodeProvisioner, SkyPilotProvisioner>();
        }

        services.AddSingleton<ProvisionerRegistry>();
        services.AddSingleton<OfferCatalog>();
        services.AddSingleton<OfferSource>();
        services.AddSingleton<NodeTokens>();
        services.AddSingleton<DeploymentStore>();
        services.AddSingleton<FleetNodeStore>();
        services.AddSingleton<OutboxStore>();
        services.AddSingleton<DeploymentService>();
        services.AddSingleton<NodeLaunchService>();
        services.AddSingleton<Events.EventFeedStore>();
        services.AddSingleton<Events.EventFeed>();
        services.AddSingleton<ReconcileSignal>();
        services.AddSingleton<ReconcilerLease>();
        services.AddSingleton<Reconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<Reconciler>());
        services.AddHostedService<OutboxWorker>();
        return services;
    }
}
