using System.Buffers;
using System.Diagnostics;
using System.Text;
using Edge.Gateway.Imaging;
using Edge.Gateway.Imaging.Faces;
using HdrHistogram;
using ImageMagick;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Edge.LoadTest;

/// <summary>
/// Runs the photo pipeline in-process on a phone-like 4000x3000 JPEG of about 3 MB carrying EXIF (GPS,
/// Orientation 6), XMP, a comment and an ICC profile, and measures throughput, latency and CPU per photo.
/// </summary>
internal static class PhotoScenario
{
    public static async Task<BenchmarkReport> RunAsync(ScenarioArguments arguments)
    {
        var concurrency = arguments.Int("concurrency", 2);
        var count = arguments.Int("count", 60);
        var warmup = arguments.Int("warmup", 4);
        // --faces off (default) | on (redaction on, photo without a face) | faces (redaction on, photo with faces).
        var faceMode = arguments.String("faces") ?? "off";
        var redact = faceMode is "on" or "faces";
        var withFaces = faceMode == "faces";
        var root = Directory.CreateTempSubdirectory("edge-loadtest-photos-").FullName;
        try
        {
            var photo = Path.Combine(root, "photo.jpg");
            var sampling = arguments.String("sampling") ?? "444";
            var bytes = withFaces ? MakeFacesJpeg(sampling) : MakePhoneJpeg();
            await File.WriteAllBytesAsync(photo, bytes);

            var report = new BenchmarkReport("photos");
            report.Parameters["concurrency"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture);
            report.Parameters["count"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            report.Parameters["photo"] = $"4000x3000 JPEG, {bytes.Length / 1e6:0.00} MB" + (withFaces ? $", porch scene with 3 faces (80-1000 px), chroma {sampling}" : string.Empty);
            report.Parameters["face redaction"] = redact ? "on" : "off";
            report.Parameters["allocator"] = AllocatorSettings.Describe();
            report.Add("photo size", bytes.Length / 1e6, "MB");

            MeasureStrip(report, bytes, root, Math.Max(count, 20));

            var options = new PhotoOptions { Concurrency = concurrency, QueueLength = count + warmup };
            using var faces = new FaceRedactor(Options.Create(new FaceRedactionOptions { Enabled = redact }));
            using var pipeline = new MagickPhotoPipeline(Options.Create(options), NullLogger<MagickPhotoPipeline>.Instance, faces: faces);
            await RunBatchAsync(pipeline, photo, bytes.Length, root, warmup, concurrency, histogram: null, redact);

            var latency = new LongHistogram(TimeStamp.Minutes(1), 3);
            var cpuBefore = ProcessFigures.CpuTime();
            var threadsBefore = ProcessFigures.ThreadCpuTimes();
            var wall = Stopwatch.StartNew();
            var lastReport = await RunBatchAsync(pipeline, photo, bytes.Length, root, count, concurrency, latency, redact);
            wall.Stop();
            var cpu = ProcessFigures.CpuTime() - cpuBefore;
            var threadsAfter = ProcessFigures.ThreadCpuTimes();

            report.Add("photos/s", count / wall.Elapsed.TotalSeconds, "1/s");
            report.AddPercentiles("pipeline", latency);
            // The pipeline's own CPU is its photo workers' threads'; the process's also holds the runtime's compiler, which
            // keeps optimising the pipeline's code for dozens of photos after the warm-up (a start-up cost, not a photo's).
            report.Add("pipeline CPU per photo (photo workers)", ProcessFigures.ThreadCpuBetween(threadsBefore, threadsAfter, IsPhotoWorker).TotalMilliseconds / count, "ms");
            report.Add("process CPU per photo (all threads)", cpu.TotalMilliseconds / count, "ms");
            report.Add("of which the runtime's JIT compiler", ProcessFigures.ThreadCpuBetween(threadsBefore, threadsAfter, name => name.StartsWith(".NET Tiered", StringComparison.Ordinal)).TotalMilliseconds / count, "ms");
            report.Add("peak RSS (VmHWM)", ProcessFigures.PeakResidentBytes() / (1024.0 * 1024), "MiB");
            report.Parameters["verdict"] = $"{lastReport.Verdict} (brightness {lastReport.Brightness}, sharpness {lastReport.Sharpness})";
            report.Parameters["faces blurred"] = lastReport.FacesBlurred.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return report;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static bool IsPhotoWorker(string threadName) => threadName.StartsWith(PhotoWorkerPool.ThreadNamePrefix, StringComparison.Ordinal);

    /// <summary>Read, strip and write the stored copy: the whole lossless path for one JPEG.</summary>
    private static void MeasureStrip(BenchmarkReport report, byte[] bytes, string root, int iterations)
    {
        var source = Path.Combine(root, "strip-source.jpg");
        File.WriteAllBytes(source, bytes);
        var output = new ArrayBufferWriter<byte>(bytes.Length);
        var histogram = new LongHistogram(TimeStamp.Minutes(1), 3);
        var cpuBefore = ProcessFigures.CpuTime();
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            output.ResetWrittenCount();
            JpegMetadataStripper.Strip(File.ReadAllBytes(source), output);
            File.WriteAllBytes(Path.Combine(root, "stripped.jpg"), output.WrittenSpan);
            histogram.RecordValue((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        report.Add("strip (read+strip+write) CPU per photo", (ProcessFigures.CpuTime() - cpuBefore).TotalMilliseconds / iterations, "ms");
        report.AddPercentiles("strip", histogram);
    }

    private static async Task<Edge.V1.PhotoReport> RunBatchAsync(MagickPhotoPipeline pipeline, string photo, long size, string root, int count, int concurrency, LongHistogram? histogram, bool redact)
    {
        using var slots = new SemaphoreSlim(concurrency);
        Edge.V1.PhotoReport? last = null;
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await slots.WaitAsync();
            var work = Directory.CreateDirectory(Path.Combine(root, $"work-{Guid.NewGuid():n}")).FullName;
            try
            {
                var started = Stopwatch.GetTimestamp();
                var result = await pipeline.ProcessAsync(new PhotoSource(photo, size, "bench", "image/jpeg", work, RedactFaces: redact), CancellationToken.None);
                histogram?.RecordValue((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                last = result.Report;
            }
            finally
            {
                Directory.Delete(work, recursive: true);
                slots.Release();
            }
        }).ToArray();
        await Task.WhenAll(tasks);
        return last!;
    }

    /// <summary>A plasma "doorstep" with a parcel and sensor-like noise at 4000x3000, JPEG quality 90: about what a phone camera stores.</summary>
    internal static byte[] MakePhoneJpeg(string comment = "benchmark") => Edge.LoadTesting.PhoneJpeg.Make(comment);

    /// <summary>A 4000x3000 porch scene (JPEG quality 90) with faces of 1,000, 300 and 80 px, labelled parcels and a cartoon face.</summary>
    private static byte[] MakeFacesJpeg(string sampling)
    {
        using var scene = Edge.LoadTesting.FaceScenes.Make(seed: 3, faceSizes: [1000, 300, 80]);
        return Edge.LoadTesting.FaceScenes.Jpeg(scene, sampling);
    }
}
