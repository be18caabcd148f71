using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Edge.Gateway.Core;

internal static class CoreServiceCollectionExtensions
{
    /// <summary>The connection to the core, and the in-process simulator when no core address is configured.</summary>
    public static IServiceCollection AddEdgeCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CoreOptions>().BindConfiguration(CoreOptions.SectionName)
            .Validate(o => o.UsesEmbeddedSimulator || !string.IsNullOrEmpty(o.AccessToken),
                "Edge:Core:Address is set but Edge:Core:AccessToken is not: the gateway authenticates to the core with a token the core checks.")
            .ValidateOnStart();
        services.TryAddSingleton<CoreCredentials>();
        services.TryAddSingleton<CoreConnection>();
        var core = configuration.GetSection(CoreOptions.SectionName).Get<CoreOptions>() ?? new CoreOptions();
        if (core.UsesEmbeddedSimulator)
        {
            services.TryAddSingleton<EmbeddedCoreSimulator>();
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedCoreSimulator>());
        }

        return services;
    }
}
