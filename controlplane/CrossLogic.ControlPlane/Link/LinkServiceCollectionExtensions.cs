namespace CrossLogic.ControlPlane.Link;

/// <summary>Registers the agent link: the stream service, the live-node table, the heartbeat flusher.</summary>
internal static class LinkServiceCollectionExtensions
{
    public static IServiceCollection AddLink(this IServiceCollection services)
    {
        services.AddOptions<NodeLinkOptions>().BindConfiguration("Link").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LiveNodeRegistry>();
        services.AddSingleton<Relay.NodeCommandStore>();
        services.AddSingleton<Relay.NodeCommands>();
        services.AddHostedService<Relay.NodeCommandRelay>();
        services.AddSingleton<LiveTransitions>();
        services.AddSingleton<LinkSessionHandler>();
        services.AddSingleton<HeartbeatFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<HeartbeatFlusher>());
        return services;
    }
}
