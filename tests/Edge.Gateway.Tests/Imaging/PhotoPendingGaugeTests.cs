using Edge.Gateway.Diagnostics;
using Edge.Gateway.Imaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Gateway.Tests.Imaging;

/// <summary><c>edge.photo.pending</c>: what operators see of the photo workers' load.</summary>
public sealed class PhotoPendingGaugeTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    [Fact]
    public async Task Pending_CountsPhotosAcceptedAndNotFinished_AndFallsBackToZero()
    {
        using var services = new ServiceCollection().AddMetrics().AddSingleton<EdgeMetrics>().BuildServiceProvider();
        using var pending = new MetricCollector<int>(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), EdgeMetrics.MeterName, "edge.photo.pending");
        using var pipeline = new MagickPhotoPipeline(
            Microsoft.Extensions.Options.Options.Create(new PhotoOptions { Concurrency = 1, QueueLength = 2 }),
            NullLogger<MagickPhotoPipeline>.Instance,
            services.GetRequiredService<EdgeMetrics>());
        var photo = TestPhotos.PhoneJpeg(4000, 3000);

        // One worker: the first photo takes tens of milliseconds to decode, so the other two wait behind it.
        var photos = Enumerable.Range(0, 3).Select(_ => pipeline.ProcessAsync(fixture.Source(photo), CancellationToken.None)).ToList();
        pending.RecordObservableInstruments();
        var whileBusy = pending.LastMeasurement!.Value;
        await Task.WhenAll(photos);
        pending.RecordObservableInstruments();

        Assert.InRange(whileBusy, 2, 3);
        Assert.Equal(0, pending.LastMeasurement!.Value);
    }
}
