namespace CrossLogic.ControlPlane.Auth;

/// <summary>Registers admin-token checking.</summary>
internal static class AuthServiceCollectionExtensions
{
    public static IServiceCollection AddAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration("Auth").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AdminTokenInterceptor>();
        return services;
    }
}
