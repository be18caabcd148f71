using System.Globalization;

namespace Edge.Gateway.Imaging;

/// <summary>Texts of <see cref="PhotoRejectedException"/>, written for the driver who took the photo.</summary>
internal static class PhotoMessages
{
    public const string Damaged = "The photo file is damaged or incomplete. Please take the photo again.";

    public const string UnsupportedFormat = "This file is not a JPEG, PNG or HEIC photo. Please take the photo with the camera app.";

    public static string TooManyBytes(long sizeBytes, long maxBytes)
        => $"The photo file is too large ({sizeBytes / (1024.0 * 1024):0.#} MB; the limit is {maxBytes / (1024.0 * 1024):0.#} MB). Please take it at a lower resolution.";

    public static string TooManyPixels(long width, long height, int maxSide, long maxPixels)
        => $"The photo is too large ({width} x {height} pixels; the limit is {maxSide} pixels a side and {maxPixels / 1_000_000.0:0.#} megapixels). Please take it at a lower resolution.";

    /// <summary>The formats accepted, for the details of an UNSUPPORTED_FORMAT refusal.</summary>
    public static IReadOnlyDictionary<string, string> FormatLimits { get; } = new Dictionary<string, string> { ["accepted"] = "image/jpeg,image/png,image/heic" };

    public static IReadOnlyDictionary<string, string> ByteLimits(long sizeBytes, long maxBytes) => new Dictionary<string, string>
    {
        ["size_bytes"] = sizeBytes.ToString(CultureInfo.InvariantCulture),
        ["max_bytes"] = maxBytes.ToString(CultureInfo.InvariantCulture),
    };

    public static IReadOnlyDictionary<string, string> PixelLimits(long width, long height, int maxSide, long maxPixels) => new Dictionary<string, string>
    {
        ["width"] = width.ToString(CultureInfo.InvariantCulture),
        ["height"] = height.ToString(CultureInfo.InvariantCulture),
        ["max_side"] = maxSide.ToString(CultureInfo.InvariantCulture),
        ["max_pixels"] = maxPixels.ToString(CultureInfo.InvariantCulture),
    };
}
