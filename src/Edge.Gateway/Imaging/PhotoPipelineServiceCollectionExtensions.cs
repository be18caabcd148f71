using Edge.Gateway.Imaging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the photo pipeline.</summary>
internal static class PhotoPipelineServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MagickPhotoPipeline"/> as the <see cref="IPhotoPipeline"/>, with <see cref="PhotoOptions"/>
    /// bound from <c>Edge:Photos</c> and validated on start.
    /// </summary>
    public static IServiceCollection AddEdgePhotoPipeline(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PhotoOptions>().BindConfiguration(PhotoOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PhotoOptions>, PhotoOptionsValidator>());
        services.TryAddSingleton<IPhotoPipeline, MagickPhotoPipeline>();
        return services;
    }
}

/// <summary>Checks the data annotations on <see cref="PhotoOptions"/> (source-generated).</summary>
[OptionsValidator]
internal sealed partial class PhotoOptionsValidator : IValidateOptions<PhotoOptions>;
