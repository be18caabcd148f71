using Edge.Gateway.Blobs;
using System.Diagnostics.Metrics;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Imaging;
using Edge.Gateway.Storage;
using Edge.Gateway.Tests.Imaging;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Edge.Gateway.Tests.Infrastructure.TestUploader;

namespace Edge.Gateway.Tests.Uploads;

/// <summary>Photos uploaded over gRPC through the production photo pipeline, as a handheld sends them.</summary>
public sealed class PhotoUploadTests : HostedGatewayTests
{
    private Task<GatewayHost> StartAsync(Action<IServiceCollection>? services = null) => StartHostAsync(services: services);

    /// <summary>A gateway whose real photo pipeline answers busy to the first photo only.</summary>
    private Task<GatewayHost> StartBusyOnceAsync()
    {
        var busyOnce = new BusyOncePipeline();
        return StartAsync(s => s.AddSingleton<IPhotoPipeline>(sp =>
        {
            busyOnce.Inner = ActivatorUtilities.CreateInstance<MagickPhotoPipeline>(sp);
            return busyOnce;
        }));
    }

    private static V1.Uploads.UploadsClient Client(GatewayHost host, string device = "device-1") => new(host.Channel(device));

    [Fact]
    public async Task Upload_PhoneJpeg_StoresAStrippedPhotoAndThumbnailAndReportsTheVerdict()
    {
        var host = await StartAsync();
        var photo = TestPhotos.PhoneJpeg(1600, 1200);
        var blobs = host.Services.GetRequiredService<BlobStore>();

        var outcome = await UploadAsync(Client(host), "photo-1", photo, chunkSize: 32 * 1024);

        var blob = outcome.Completed!.Blob;
        Assert.Equal(Sha256(photo), blob.Sha256);
        Assert.NotEqual(blob.Sha256, blob.StoredSha256);
        Assert.Equal("image/jpeg", blob.ContentType);
        Assert.Equal("JPEG", blob.Photo.Format);
        Assert.Equal((1200, 1600), (blob.Photo.Width, blob.Photo.Height)); // Orientation 6: portrait as displayed
        Assert.Equal(PhotoReport.Types.Verdict.Ok, blob.Photo.Verdict);
        Assert.Matches("^[0-9a-f]{16}$", blob.Photo.PerceptualHash);
        Assert.True(blob.Photo.MetadataStripped);

        var stored = blobs.PathFor(blob.StoredSha256);
        Assert.Equal(blob.StoredSha256, Sha256(File.ReadAllBytes(stored)));
        Assert.False(TestPhotos.Contains(File.ReadAllBytes(stored), TestPhotos.Planted));
        var tags = ExifTool.ReadTags(stored);
        Assert.DoesNotContain(tags.Keys, k => k.Contains("GPS", StringComparison.OrdinalIgnoreCase));
        Assert.True(blobs.Exists(blob.Photo.ThumbnailSha256));
        Assert.False(blobs.Exists(blob.Sha256)); // the device's bytes, with their metadata, are not kept
    }

    [Fact]
    public async Task Upload_SamePhotoFromAnotherDevice_SendsItsBytesAndGetsTheSameStoredPhoto()
    {
        var host = await StartAsync();
        var photo = TestPhotos.PhoneJpeg(800, 600);
        var first = await UploadAsync(Client(host), "photo-a", photo);

        var again = await UploadAsync(Client(host), "photo-a2", photo);
        var second = await UploadAsync(Client(host, "device-2"), "photo-b", photo);
        var missing = await Client(host, "device-2").FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { Sha256(photo) } });

        Assert.True(again.Started.BlobExists); // the device that holds it is answered at once
        Assert.Equal(first.Completed!.Blob, again.Started.Blob);
        Assert.False(second.Started.BlobExists); // another device learns nothing of it and sends the bytes
        Assert.Equal(first.Completed.Blob, second.Completed!.Blob);
        Assert.Empty(missing.MissingSha256);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(host.DataDirectory, "blobs"), "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Upload_TruncatedJpegWithEndMarker_IsInvalidArgumentAndNothingIsStored()
    {
        var host = await StartAsync();
        var photo = TestPhotos.PhoneJpeg(800, 600);
        byte[] truncated = [.. photo.AsSpan(0, photo.Length / 2), 0xFF, 0xD9];
        var client = Client(host);

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, "broken-1", truncated));
        var query = await Assert.ThrowsAsync<RpcException>(async () => await client.QueryUploadAsync(new QueryUploadRequest { UploadId = "broken-1" }));
        var missing = await client.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { Sha256(truncated) } });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail));
        Assert.Equal(StatusCode.NotFound, query.StatusCode);
        Assert.Equal([Sha256(truncated)], missing.MissingSha256);
        Assert.Empty(Directory.GetFiles(Path.Combine(host.DataDirectory, "blobs"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Upload_DecompressionBomb_IsRefused()
    {
        var host = await StartAsync();
        var bomb = PhotoHeaderTests.JpegBomb();

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(Client(host), "bomb-1", bomb));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Empty(Directory.GetFiles(Path.Combine(host.DataDirectory, "blobs"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Upload_WhilePhotoWorkersAreBusy_IsResourceExhaustedAndTheRetrySendsNoBytesAgain()
    {
        var host = await StartBusyOnceAsync();
        var photo = TestPhotos.PhoneJpeg(800, 600);
        var client = Client(host);

        var error = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, "busy-1", photo));
        var retry = await UploadAsync(client, "busy-1", photo);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.NotNull(error.GetRpcStatus()!.GetDetail<Google.Rpc.RetryInfo>());
        Assert.Equal(photo.Length, retry.Started.CommittedOffset);
        Assert.NotNull(retry.Completed);
    }

    [Fact]
    public async Task Metrics_CountPhotosProcessedByVerdict_RejectedByReason_AndTurnedAwayBusy()
    {
        var host = await StartBusyOnceAsync();
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var processed = new MetricCollector<long>(meters, EdgeMetrics.MeterName, "edge.photo.processed");
        using var rejected = new MetricCollector<long>(meters, EdgeMetrics.MeterName, "edge.photo.rejected");
        using var busy = new MetricCollector<long>(meters, EdgeMetrics.MeterName, "edge.photo.busy");
        using var duration = new MetricCollector<double>(meters, EdgeMetrics.MeterName, "edge.photo.duration");
        var client = Client(host);
        var photo = TestPhotos.PhoneJpeg(800, 600);
        byte[] truncated = [.. photo.AsSpan(0, photo.Length / 2), 0xFF, 0xD9];
        var notAnImage = new byte[50_000];
        new Random(7).NextBytes(notAnImage);

        await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, "metrics-busy", photo));
        await UploadAsync(client, "metrics-busy", photo);
        foreach (var (id, bytes) in new[] { ("metrics-truncated", truncated), ("metrics-bomb", PhotoHeaderTests.JpegBomb()), ("metrics-random", notAnImage) })
        {
            await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, id, bytes));
        }

        var done = Assert.Single(processed.GetMeasurementSnapshot());
        Assert.Equal(1, done.Value);
        Assert.Equal("jpeg", done.Tags["format"]);
        Assert.Equal("ok", done.Tags["verdict"]);
        Assert.Equal(1, busy.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(
            ["damaged", "too_many_pixels", "unsupported_format"],
            rejected.GetMeasurementSnapshot().Select(m => (string)m.Tags["reason"]!).Order());
        var durations = duration.GetMeasurementSnapshot();
        Assert.Equal(4, durations.Count);
        Assert.Equal(3, durations.Count(m => (string?)m.Tags["outcome"] == "rejected"));
        Assert.All(durations, m => Assert.True(m.Value > 0));
    }

    private sealed class BusyOncePipeline : IPhotoPipeline
    {
        private int _calls;

        public MagickPhotoPipeline Inner { get; set; } = null!;

        public Task<ProcessedPhoto> ProcessAsync(PhotoSource source, CancellationToken cancellationToken)
            => Interlocked.Increment(ref _calls) == 1
                ? throw new PhotoPipelineBusyException(TimeSpan.FromSeconds(1))
                : Inner.ProcessAsync(source, cancellationToken);
    }
}
