using Edge.Gateway.Scans;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Edge.Gateway.Forwarding;

internal static class ForwardingServiceCollectionExtensions
{
    /// <summary>Scans, proofs and the forwarder: their options and background work (their state comes with the mode).</summary>
    public static IServiceCollection AddEdgeForwarding(this IServiceCollection services)
    {
        services.AddOptions<ForwardingOptions>().BindConfiguration(ForwardingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IntakeOptions>().BindConfiguration(IntakeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<CoreDelivery>();
        services.TryAddSingleton<CoreBreakers>();
        services.TryAddSingleton<OutboxBacklogGauge>();
        services.AddHostedService<Forwarder>();
        services.AddHostedService<ForwardingSweeper>();
        return services;
    }
}
