using Edge.Gateway.Imaging;
using Edge.Gateway.Imaging.Faces;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the photo pipeline.</summary>
internal static class PhotoPipelineServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MagickPhotoPipeline"/> as the <see cref="IPhotoPipeline"/>, with <see cref="PhotoOptions"/>
    /// bound from <c>Edge:Photos</c> and validated on start, and the <see cref="FaceRedactor"/> with
    /// <see cref="FaceRedactionOptions"/> from <c>Edge:Photos:FaceRedaction</c> (when redaction is configured, its
    /// model is checked on start, so a missing or altered model stops the gateway with a clear error).
    /// </summary>
    public static IServiceCollection AddEdgePhotoPipeline(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PhotoOptions>().BindConfiguration(PhotoOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PhotoOptions>, PhotoOptionsValidator>());
        services.AddOptions<FaceRedactionOptions>().BindConfiguration(FaceRedactionOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FaceRedactionOptions>, FaceRedactionOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FaceRedactionOptions>, FaceModelValidator>());
        services.TryAddSingleton<FaceRedactor>();
        services.TryAddSingleton<IPhotoPipeline, MagickPhotoPipeline>();
        return services;
    }
}

/// <summary>Checks the data annotations on <see cref="FaceRedactionOptions"/> (source-generated).</summary>
[OptionsValidator]
internal sealed partial class FaceRedactionOptionsValidator : IValidateOptions<FaceRedactionOptions>;

/// <summary>Checks the data annotations on <see cref="PhotoOptions"/> (source-generated).</summary>
[OptionsValidator]
internal sealed partial class PhotoOptionsValidator : IValidateOptions<PhotoOptions>;
