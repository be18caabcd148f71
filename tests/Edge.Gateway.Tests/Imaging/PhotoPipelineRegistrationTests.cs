using Edge.Gateway.Imaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Tests.Imaging;

public sealed class PhotoPipelineRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddEdgePhotoPipeline();
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddEdgePhotoPipeline_BindsEdgePhotos_AndRegistersMagickPipeline()
    {
        using var provider = Build(new() { ["Edge:Photos:MaxSide"] = "8000", ["Edge:Photos:Concurrency"] = "1", ["Edge:Photos:BlurryBelow"] = "12.5" });

        var options = provider.GetRequiredService<IOptions<PhotoOptions>>().Value;

        Assert.Equal((8000, 1, 12.5, 50_000_000L), (options.MaxSide, options.Concurrency, options.BlurryBelow, options.MaxPixels));
        Assert.IsType<MagickPhotoPipeline>(provider.GetRequiredService<IPhotoPipeline>());
    }

    [Fact]
    public void AddEdgePhotoPipeline_KeepsAnEarlierRegistration()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IPhotoPipeline, PassthroughPhotoPipeline>();

        services.AddEdgePhotoPipeline();

        Assert.Single(services, d => d.ServiceType == typeof(IPhotoPipeline));
    }

    [Fact]
    public void InvalidOptions_FailValidation()
    {
        using var provider = Build(new() { ["Edge:Photos:Concurrency"] = "0", ["Edge:Photos:QueueLength"] = "-1" });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PhotoOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.Contains(nameof(PhotoOptions.Concurrency), StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains(nameof(PhotoOptions.QueueLength), StringComparison.Ordinal));
    }

    [Fact]
    public void Pipeline_SaysWhenTheAllocatorRunsWithGlibcDefaults()
    {
        // The gateway's image and launch profile set the allocator's settings; a process started without them is told why it should.
        var allSet = NativeAllocator.AreSet();
        var logger = new FakeLogger<MagickPhotoPipeline>();

        using (new MagickPhotoPipeline(Options.Create(new PhotoOptions { Concurrency = 1 }), logger))
        {
        }

        var said = logger.Collector.GetSnapshot().Where(r => r.Id.Id == Edge.Gateway.Diagnostics.EventIds.PhotoAllocatorDefaults).ToList();
        Assert.Equal(OperatingSystem.IsLinux() && !allSet, said.Count == 1);
        Assert.All(said, r => Assert.Contains("MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456", r.Message, StringComparison.Ordinal));
    }
}
