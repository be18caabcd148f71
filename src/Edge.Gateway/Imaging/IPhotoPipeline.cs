using Edge.V1;

namespace Edge.Gateway.Imaging;

/// <summary>
/// Checks, cleans and measures an uploaded photo after its bytes are complete and digest-verified,
/// before anything is stored or acknowledged as complete.
/// </summary>
internal interface IPhotoPipeline
{
    /// <summary>Processes one photo.</summary>
    /// <exception cref="PhotoRejectedException">The input is not an acceptable photo.</exception>
    /// <exception cref="PhotoPipelineBusyException">
    /// The worker pool's queue, or the device's share of it, is full, or the decoder ran out of memory: retryable.
    /// </exception>
    Task<ProcessedPhoto> ProcessAsync(PhotoSource source, CancellationToken cancellationToken);
}

/// <summary>A complete upload, ready for the pipeline.</summary>
/// <param name="Path">A file holding exactly the bytes the device sent (digest already verified).</param>
/// <param name="SizeBytes">Length of the file.</param>
/// <param name="Sha256">SHA-256 of the file, lowercase hex.</param>
/// <param name="DeclaredContentType">What the device said it sent; never trusted for the format.</param>
/// <param name="WorkDirectory">
/// An empty directory, on the blob store's filesystem, for the pipeline's outputs. Deleted by the caller afterwards.
/// </param>
/// <param name="RedactFaces">Blur the faces found in the stored photo and its thumbnail.</param>
/// <param name="DeviceId">The device that sent it, for a fair share of the photo workers.</param>
internal sealed record PhotoSource(string Path, long SizeBytes, string Sha256, string DeclaredContentType, string WorkDirectory, string DeviceId = "", bool RedactFaces = false);

/// <summary>What the pipeline made of a photo.</summary>
/// <param name="StoredPath">The file to store: <see cref="PhotoSource.Path"/> itself when nothing had to change.</param>
/// <param name="ContentType">Media type of <paramref name="StoredPath"/>.</param>
/// <param name="Report">Dimensions, format, quality verdict and perceptual hash; digests are filled in by the caller.</param>
/// <param name="ThumbnailPath">A JPEG thumbnail, or null when none was made.</param>
internal sealed record ProcessedPhoto(string StoredPath, string ContentType, PhotoReport? Report, string? ThumbnailPath);

/// <summary>Why a photo was refused (the <c>reason</c> of <c>edge.photo.rejected</c>).</summary>
internal enum PhotoRejection
{
    /// <summary>The file holds none of the accepted formats (JPEG, PNG, HEIC).</summary>
    UnsupportedFormat,

    /// <summary>The file is larger than the byte limit.</summary>
    TooManyBytes,

    /// <summary>The header (or the decoder) names more pixels than allowed: a decompression bomb or an oversized photo.</summary>
    TooManyPixels,

    /// <summary>The file does not decode: truncated, corrupted or malformed.</summary>
    Damaged,
}

/// <summary>The upload is not an acceptable photo. The message is shown to the driver.</summary>
/// <param name="reason">Why, for the device and the metrics.</param>
/// <param name="message">For the driver.</param>
/// <param name="limits">What the device may need to act on it (the photo's size and the caps it broke), for the error's details.</param>
internal sealed class PhotoRejectedException(PhotoRejection reason, string message, IReadOnlyDictionary<string, string>? limits = null) : Exception(message)
{
    public PhotoRejection Reason { get; } = reason;

    public IReadOnlyDictionary<string, string> Limits { get; } = limits ?? new Dictionary<string, string>();

    /// <summary>The <c>google.rpc.ErrorInfo</c> reason the device sees (docs/protocol.md lists them).</summary>
    public string ErrorReason => Reason switch
    {
        PhotoRejection.UnsupportedFormat => "UNSUPPORTED_FORMAT",
        PhotoRejection.TooManyBytes => "TOO_MANY_BYTES",
        PhotoRejection.TooManyPixels => "TOO_MANY_PIXELS",
        _ => "DAMAGED",
    };

    /// <summary>The request field at fault: the declared size for a file too large, else the bytes sent.</summary>
    public string Field => Reason == PhotoRejection.TooManyBytes ? "start.size_bytes" : "chunk.data";
}

/// <summary>The photo workers are saturated; the client should retry after <see cref="RetryAfter"/>.</summary>
internal sealed class PhotoPipelineBusyException(TimeSpan retryAfter)
    : Exception($"The gateway is busy processing photos; retry in {retryAfter.TotalSeconds:0} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
