using Google.Rpc;
using Grpc.Core;

namespace Edge.Client;

/// <summary>Why the gateway refused a photo (the <c>google.rpc.ErrorInfo</c> reason of its answer).</summary>
public enum PhotoRejectionReason
{
    /// <summary>A reason this version of the SDK does not know; <see cref="RpcException.Status"/> has the gateway's message.</summary>
    Unknown = 0,

    /// <summary>Not a JPEG, PNG or HEIC photo (<c>UNSUPPORTED_FORMAT</c>).</summary>
    UnsupportedFormat = 1,

    /// <summary>More pixels than the gateway takes, or a file that claims them (<c>TOO_MANY_PIXELS</c>).</summary>
    TooManyPixels = 2,

    /// <summary>A larger file than the gateway takes (<c>TOO_MANY_BYTES</c>).</summary>
    TooManyBytes = 3,

    /// <summary>A damaged or incomplete file: truncated, corrupted, malformed (<c>DAMAGED</c>).</summary>
    Damaged = 4,
}

/// <summary>
/// The gateway refused a photo as it is (<c>INVALID_ARGUMENT</c>): no retry will change its answer. Take the photo
/// again (at a lower resolution for <see cref="PhotoRejectionReason.TooManyPixels"/> or
/// <see cref="PhotoRejectionReason.TooManyBytes"/>). <see cref="RpcException.Status"/>'s detail is a message written for
/// the driver.
/// </summary>
public sealed class PhotoRejectedException : RpcException
{
    /// <summary>The <c>google.rpc.ErrorInfo</c> domain of the gateway's reasons.</summary>
    internal const string Domain = "edge.v1";

    private PhotoRejectedException(RpcException refusal, PhotoRejectionReason reason, IReadOnlyDictionary<string, string> limits)
        : base(refusal.Status, refusal.Trailers, refusal.Message)
    {
        Reason = reason;
        Limits = limits;
    }

    /// <summary>Why the photo was refused.</summary>
    public PhotoRejectionReason Reason { get; }

    /// <summary>
    /// What the gateway said about its limits, by name: <c>width</c>, <c>height</c>, <c>max_side</c>, <c>max_pixels</c>
    /// for too many pixels; <c>size_bytes</c>, <c>max_bytes</c> for too many bytes; <c>accepted</c> (media types) for an
    /// unsupported format. Empty when it said nothing.
    /// </summary>
    public IReadOnlyDictionary<string, string> Limits { get; }

    /// <summary>The typed refusal, when <paramref name="error"/> is the gateway refusing a photo; else null.</summary>
    internal static PhotoRejectedException? From(RpcException error)
    {
        if (error.StatusCode != StatusCode.InvalidArgument
            || error.GetRpcStatus()?.GetDetail<ErrorInfo>() is not { Domain: Domain } info)
        {
            return null;
        }

        var reason = info.Reason switch
        {
            "UNSUPPORTED_FORMAT" => PhotoRejectionReason.UnsupportedFormat,
            "TOO_MANY_PIXELS" => PhotoRejectionReason.TooManyPixels,
            "TOO_MANY_BYTES" => PhotoRejectionReason.TooManyBytes,
            "DAMAGED" => PhotoRejectionReason.Damaged,
            _ => PhotoRejectionReason.Unknown,
        };
        return new PhotoRejectedException(error, reason, new Dictionary<string, string>(info.Metadata, StringComparer.Ordinal));
    }
}
