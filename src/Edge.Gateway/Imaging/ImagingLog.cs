using Edge.Gateway.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Edge.Gateway.Imaging;

internal static partial class ImagingLog
{
    [LoggerMessage(EventIds.PhotoProcessed, LogLevel.Debug, "Photo {Sha256} processed: {Format} {Width}x{Height}, verdict {Verdict}, metadata stripped {MetadataStripped}, {ElapsedMilliseconds:0.0} ms")]
    public static partial void PhotoProcessed(ILogger logger, string sha256, PhotoFormat format, int width, int height, string verdict, bool metadataStripped, double elapsedMilliseconds);

    [LoggerMessage(EventIds.PhotoRejected, LogLevel.Information, "Photo {Sha256} rejected: {Reason}")]
    public static partial void PhotoRejected(ILogger logger, string sha256, string reason);

    [LoggerMessage(EventIds.PhotoDecoderRefused, LogLevel.Information, "Photo {Sha256} refused by the decoder ({Format}): {DecoderMessage}")]
    public static partial void DecoderRefused(ILogger logger, string sha256, PhotoFormat format, string decoderMessage);

    [LoggerMessage(EventIds.PhotoPipelineBusy, LogLevel.Warning, "Photo {Sha256} refused: the photo workers are busy ({Pending} pending)")]
    public static partial void PipelineBusy(ILogger logger, string sha256, int pending);

    [LoggerMessage(EventIds.PhotoDecoderLimitsApplied, LogLevel.Information, "ImageMagick limits: {Width}x{Height} px, area {Area} px, memory {MemoryBytes} bytes, disk {DiskBytes} bytes")]
    public static partial void DecoderLimitsApplied(ILogger logger, ulong width, ulong height, ulong area, ulong memoryBytes, ulong diskBytes);

    [LoggerMessage(EventIds.PhotoAllocatorDefaults, LogLevel.Information, "The C library's allocator runs with its defaults: glibc gives each photo worker its own arena and faults a photo's native buffers in again for the next photo (up to 4 times the page faults and 1.6 times the CPU per photo with faces); the gateway's image and launch profile set {Settings} (README, Native memory)")]
    public static partial void AllocatorDefaults(ILogger logger, string settings);

    [LoggerMessage(EventIds.PhotoReencodedForFaces, LogLevel.Information, "Photo {Sha256}: faces blurred by decoding and re-encoding the whole photo, since its blocks cannot be rewritten in place: {Reason}")]
    public static partial void PhotoReencodedForFaces(ILogger logger, string sha256, string reason);

    [LoggerMessage(EventIds.FaceBlockRedactionUnavailable, LogLevel.Warning, "{Library} cannot be loaded: a JPEG with faces will be decoded and re-encoded whole at quality {Quality} (several times the CPU) instead of having only the blocks under its faces rewritten; install libjpeg-turbo's TurboJPEG library (Debian and Ubuntu: libturbojpeg0).")]
    public static partial void BlockRedactionUnavailable(ILogger logger, string library, int quality);
}
