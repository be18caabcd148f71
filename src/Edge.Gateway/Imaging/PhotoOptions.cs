using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Imaging;

/// <summary>Limits and thresholds of the photo pipeline, bound from <c>Edge:Photos</c>.</summary>
internal sealed class PhotoOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Edge:Photos";

    /// <summary>
    /// Largest accepted photo file in bytes, checked before anything is read.
    /// Default: 41,943,040 (40 MiB).
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxBytes { get; set; } = 40L * 1024 * 1024;

    /// <summary>
    /// Largest accepted width or height in pixels, read from the file header before any decode.
    /// Default: 16,384.
    /// </summary>
    [Range(16, 65_535)]
    public int MaxSide { get; set; } = 16_384;

    /// <summary>
    /// Largest accepted pixel count (width times height), read from the file header before any decode.
    /// Default: 50,000,000 (50 megapixels).
    /// </summary>
    [Range(256, 1_000_000_000)]
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>
    /// Photos decoded at the same time, each on its own worker thread.
    /// Default: the number of processors.
    /// </summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Photos that may wait for a worker; one more is refused with <see cref="PhotoPipelineBusyException"/>.
    /// Default: 32.
    /// </summary>
    [Range(0, 100_000)]
    public int QueueLength { get; set; } = 32;

    /// <summary>
    /// Photos one device may have processing or waiting at once; one more is refused with
    /// <see cref="PhotoPipelineBusyException"/> (RESOURCE_EXHAUSTED, retried). Default: 4.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxPendingPerDevice { get; set; } = 4;

    /// <summary>
    /// Workers one device may use at once, so that a device sending large photos always leaves a worker to the others.
    /// 0 means <see cref="Concurrency"/> less one (at least 1). Default: 0.
    /// </summary>
    [Range(0, 256)]
    public int MaxWorkersPerDevice { get; set; }

    /// <summary>The workers one device may use: <see cref="MaxWorkersPerDevice"/>, or its default.</summary>
    internal int WorkersPerDevice => MaxWorkersPerDevice > 0 ? MaxWorkersPerDevice : Math.Max(1, Concurrency - 1);

    /// <summary>The retry hint given to a client whose photo was refused because the queue was full. Default: 2 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan BusyRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Ceiling in bytes for all pixel memory ImageMagick may hold at once (process-wide; nothing spills to disk).
    /// Default: 1,073,741,824 (1 GiB).
    /// </summary>
    [Range(64L * 1024 * 1024, long.MaxValue)]
    public long DecoderMemoryBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Long side of the JPEG thumbnail in pixels. Default: 320.</summary>
    [Range(32, 2048)]
    public int ThumbnailSize { get; set; } = 320;

    /// <summary>JPEG quality of the thumbnail. Default: 80.</summary>
    [Range(1, 100)]
    public int ThumbnailQuality { get; set; } = 80;

    /// <summary>JPEG quality used when a HEIC photo is re-encoded for storage. Default: 90.</summary>
    [Range(1, 100)]
    public int HeicToJpegQuality { get; set; } = 90;

    /// <summary>
    /// Long side in pixels of the grayscale copy that brightness, sharpness and the perceptual hash are
    /// measured on. The sharpness threshold depends on it. Default: 640.
    /// </summary>
    [Range(64, 4096)]
    public int AnalysisSize { get; set; } = 640;

    /// <summary>A photo whose mean luma (0-255) is below this is TOO_DARK. Default: 45.</summary>
    [Range(0, 255)]
    public double DarkBelow { get; set; } = 45;

    /// <summary>
    /// A photo whose variance of the Laplacian (measured at <see cref="AnalysisSize"/>) is below this is BLURRY.
    /// Default: 60.
    /// </summary>
    [Range(0, 1_000_000)]
    public double BlurryBelow { get; set; } = 60;
}
