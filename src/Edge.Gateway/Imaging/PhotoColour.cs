using ImageMagick;

namespace Edge.Gateway.Imaging;

/// <summary>What the pipeline does to a photo's colours: keeps its ICC profile where pixels are stored, converts to sRGB where they are shown.</summary>
internal static class PhotoColour
{
    /// <summary>
    /// Removes every profile, property and comment (EXIF, GPS, XMP, IPTC, text chunks) but the ICC colour profile,
    /// which says how the pixels are to be shown: without it a Display P3 or Adobe RGB photo is shown as sRGB, with
    /// its colours off by up to a hundred levels.
    /// </summary>
    public static void StripAllButColourProfile(MagickImage image)
    {
        // Set back as raw bytes: setting it as a colour profile would have ImageMagick convert the pixels.
        var colour = image.GetProfile("icc") ?? image.GetProfile("icm");
        image.Strip();
        if (colour is not null)
        {
            image.SetProfile(colour);
        }
    }

    /// <summary>
    /// Converts the pixels to sRGB through the photo's ICC profile (what a thumbnail without a profile is taken to be),
    /// then removes every profile. A photo without one is taken to be sRGB already, as viewers do.
    /// </summary>
    public static void ToSrgb(MagickImage image)
    {
        if (image.GetColorProfile() is { } colour && !IsSrgb(colour))
        {
            image.TransformColorSpace(ColorProfiles.SRGB);
        }

        image.Strip();
    }

    /// <summary>
    /// Converts a picture whose pixels are neither RGB nor grey (a CMYK or YCCK JPEG's inks) to sRGB, through its ICC
    /// profile when it has one (every profile is removed then), for code that reads and writes its pixels as RGB.
    /// </summary>
    public static void ToRgb(MagickImage image)
    {
        if (image.ColorSpace is ColorSpace.sRGB or ColorSpace.RGB or ColorSpace.Gray or ColorSpace.LinearGray)
        {
            return;
        }

        ToSrgb(image);
        ToDisplayable(image);
    }

    /// <summary>The sRGB profiles cameras and phones embed, by their description: converting those to sRGB changes nothing.</summary>
    private static bool IsSrgb(IColorProfile profile)
        => profile.ColorSpace == ColorSpace.sRGB && profile.Description is { } description
            && description.StartsWith("sRGB", StringComparison.OrdinalIgnoreCase);

    /// <summary>Flattens transparency onto white and converts to 8-bit sRGB, which is what a JPEG viewer expects.</summary>
    public static void ToDisplayable(IMagickImage<byte> image)
    {
        if (image.HasAlpha)
        {
            image.BackgroundColor = MagickColors.White;
            image.Alpha(AlphaAction.Remove);
            image.Alpha(AlphaAction.Off);
        }

        if (image.ColorSpace is not (ColorSpace.sRGB or ColorSpace.Gray))
        {
            image.ColorSpace = ColorSpace.sRGB;
        }
    }
}
