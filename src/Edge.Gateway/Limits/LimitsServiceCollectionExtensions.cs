using Edge.Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Edge.Gateway.Limits;

/// <summary>Registration of the per-device budgets.</summary>
internal static class LimitsServiceCollectionExtensions
{
    /// <summary>Adds the budgets; rates are kept in Redis in Redis mode, in this process otherwise.</summary>
    public static IServiceCollection AddEdgeDeviceLimits(this IServiceCollection services, EdgeOptions edge)
    {
        services.AddOptions<DeviceLimitOptions>().BindConfiguration(DeviceLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        if (edge.UsesRedis)
        {
            services.TryAddSingleton<IDeviceRateLimiter, RedisDeviceRateLimiter>();
        }
        else
        {
            services.TryAddSingleton<IDeviceRateLimiter, LocalDeviceRateLimiter>();
        }

        services.TryAddSingleton<DeviceStreamSlots>();
        services.TryAddSingleton<DeviceLimits>();
        return services;
    }
}
