using OpenTelemetry.Metrics;

namespace CrossLogic.ControlPlane.Observability;

/// <summary>Registers the control plane's metrics and their Prometheus exporter (GET /metrics on the admin ports).</summary>
internal static class ObservabilityServiceCollectionExtensions
{
    public static IServiceCollection AddObservability(this IServiceCollection services)
    {
        services.AddSingleton<ControlPlaneMetrics>();
        services.AddSingleton<FleetGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<FleetGauges>());
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ControlPlaneMetrics.MeterName)
            // Kestrel's own connection and request figures, and the runtime's (GC, thread pool).
            .AddMeter("Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Hosting", "System.Runtime")
            .AddPrometheusExporter());
        return services;
    }
}
