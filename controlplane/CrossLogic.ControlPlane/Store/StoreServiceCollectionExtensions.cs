using Npgsql;

namespace CrossLogic.ControlPlane.Store;

/// <summary>Registers PostgreSQL access and the migrations that run before anything else.</summary>
internal static class StoreServiceCollectionExtensions
{
    public static IServiceCollection AddStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StoreOptions>()
            .Configure(o => o.ConnectionString = configuration.GetConnectionString("Postgres") ?? "")
            .Bind(configuration.GetSection("Store"))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var builder = new NpgsqlDataSourceBuilder(configuration.GetConnectionString("Postgres"));
            builder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return builder.Build();
        });
        services.AddSingleton<NodeStore>();
        // First hosted service: nothing else starts until the schema is there.
        services.AddHostedService<DatabaseMigrator>();
        return services;
    }
}
