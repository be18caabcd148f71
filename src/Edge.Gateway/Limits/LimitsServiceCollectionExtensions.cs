using Edge.Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Edge.Gateway.Limits;

/// <summary>Registration of the per-device budgets.</summary>
internal static class LimitsServiceCollectionExtensions
{
    /// <summary>Adds the budgets; rates and stream slots are kept in Redis in Redis mode, in this process otherwise.</summary>
    public static IServiceCollection AddEdgeDeviceLimits(this IServiceCollection services, EdgeOptions edge)
    {
        services.AddOptions<DeviceLimitOptions>().BindConfiguration(DeviceLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        if (edge.UsesRedis)
        {
            services.TryAddSingleton<IDeviceRateLimiter, RedisDeviceRateLimiter>();
            services.TryAddSingleton<RedisDeviceStreamSlots>();
            services.TryAddSingleton<IDeviceStreamSlots>(sp => sp.GetRequiredService<RedisDeviceStreamSlots>());
            services.AddHostedService(sp => sp.GetRequiredService<RedisDeviceStreamSlots>());
        }
        else
        {
            services.TryAddSingleton<IDeviceRateLimiter, LocalDeviceRateLimiter>();
            services.TryAddSingleton<IDeviceStreamSlots, LocalDeviceStreamSlots>();
        }

        services.TryAddSingleton<DeviceLimits>();
        return services;
    }
}
