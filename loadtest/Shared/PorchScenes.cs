using ImageMagick;
using ImageMagick.Drawing;

namespace Edge.LoadTesting;

/// <summary>
/// Porch-like delivery photos made from a seed with Magick.NET (a wall gradient, a ground band, a door with a window
/// and a house number, parcels, plants and sensor noise), and the copies a driver could make of one when reusing it.
/// The same seed gives the same scene. Used by the photo reuse measurements in Edge.LoadTest and by the gateway's
/// tests (linked into both).
/// </summary>
internal static class PorchScenes
{
    /// <summary>The transformed copies measured, by name: each is a way an old photo can come back.</summary>
    public static readonly string[] Transforms =
    [
        "jpeg-q70", "jpeg-q40", "resize-50", "resize-25", "messenger", "crop-2", "crop-5", "crop-5-corner",
        "bright-15", "bright-30", "rotate-2", "rotate-5",
    ];

    private static readonly string? Font = new[]
    {
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    }.FirstOrDefault(File.Exists);

    /// <summary>
    /// A porch scene as a JPEG (quality 90). <paramref name="parcelSeed"/> varies only the parcels and the noise:
    /// the same porch with another delivery.
    /// </summary>
    public static byte[] Jpeg(int seed, uint width = 1600, uint height = 1200, int? parcelSeed = null)
    {
        using var image = Scene(seed, width, height, parcelSeed);
        image.Quality = 90;
        return image.ToByteArray(MagickFormat.Jpeg);
    }

    /// <summary>The scene as a raster (see <see cref="Jpeg"/>).</summary>
    public static MagickImage Scene(int seed, uint width, uint height, int? parcelSeed = null)
    {
        var random = new Random(seed);
        var w = (double)width;
        var h = (double)height;
        var image = new MagickImage($"gradient:{Colour(random)}-{Colour(random)}", width, height);

        // A wall is never flat: low-frequency texture (a plasma fractal, made small and enlarged) and light from one side.
        MagickNET.SetRandomSeed((ulong)seed);
        using (var texture = new MagickImage($"plasma:{Colour(random)}-{Colour(random)}", Math.Max(8, width / 16), Math.Max(8, height / 16)))
        {
            texture.Resize(new MagickGeometry(width, height) { IgnoreAspectRatio = true });
            image.Composite(texture, CompositeOperator.Overlay);
        }

        using (var side = new MagickImage($"gradient:{Grey(random)}-{Grey(random)}", height, width))
        {
            side.Rotate(random.Next(2) == 0 ? 90 : 270);
            image.Composite(side, CompositeOperator.SoftLight);
        }

        var horizon = h * (0.55 + (random.NextDouble() * 0.25));
        var doorLeft = w * (0.1 + (random.NextDouble() * 0.5));
        var doorWidth = w * (0.18 + (random.NextDouble() * 0.15));
        var doorTop = h * (0.1 + (random.NextDouble() * 0.2));
        var drawables = new Drawables()
            .FillColor(new MagickColor(Colour(random))).Rectangle(0, horizon, w, h)
            .FillColor(new MagickColor(Colour(random))).Rectangle(doorLeft, doorTop, doorLeft + doorWidth, horizon)
            .FillColor(new MagickColor(Colour(random))).Rectangle(doorLeft + (doorWidth * 0.2), doorTop + (h * 0.05), doorLeft + (doorWidth * 0.8), doorTop + (h * 0.2))
            .FillColor(new MagickColor("#d4af37")).Circle(doorLeft + (doorWidth * 0.85), (doorTop + horizon) / 2, doorLeft + (doorWidth * 0.88), (doorTop + horizon) / 2);

        // Steps, a window, a lamp: fixed parts of the porch.
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            var x = random.NextDouble() * w;
            var y = random.NextDouble() * horizon;
            drawables.FillColor(new MagickColor(Colour(random))).Rectangle(x, y, x + (w * (0.05 + (random.NextDouble() * 0.2))), y + (h * (0.05 + (random.NextDouble() * 0.2))));
        }

        drawables.Draw(image);
        if (Font is not null)
        {
            new Drawables()
                .Font(Font).FontPointSize(h * (0.04 + (random.NextDouble() * 0.06)))
                .FillColor(new MagickColor(Colour(random)))
                .Text(doorLeft + (doorWidth * 0.3), doorTop - (h * 0.02), random.Next(1, 400).ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Draw(image);
        }

        // Parcels and plants: what changes from one delivery to the next.
        var delivery = parcelSeed is { } other ? new Random(other) : random;
        var parcels = new Drawables();
        for (var i = delivery.Next(1, 5); i > 0; i--)
        {
            var x = w * delivery.NextDouble() * 0.8;
            var y = horizon - (h * 0.05) + (delivery.NextDouble() * (h - horizon) * 0.6);
            var size = w * (0.06 + (delivery.NextDouble() * 0.18));
            parcels.FillColor(new MagickColor(Colour(delivery)))
                .Polygon(new PointD(x, y), new PointD(x + size, y + (size * 0.1 * delivery.NextDouble())), new PointD(x + size, y + (size * 0.7)), new PointD(x, y + (size * 0.6)));
            parcels.FillColor(new MagickColor("#f0e6d2")).Rectangle(x + (size * 0.3), y + (size * 0.2), x + (size * 0.6), y + (size * 0.35));
        }

        for (var i = delivery.Next(0, 4); i > 0; i--)
        {
            var x = w * delivery.NextDouble();
            var y = horizon + (delivery.NextDouble() * (h - horizon));
            var r = w * (0.02 + (delivery.NextDouble() * 0.06));
            parcels.FillColor(new MagickColor(Colour(delivery))).Ellipse(x, y, r, r * 1.4, 0, 360);
        }

        parcels.Draw(image);
        MagickNET.SetRandomSeed((ulong)(parcelSeed ?? seed));
        image.AddNoise(NoiseType.Gaussian, 0.05 + (delivery.NextDouble() * 0.1));
        return image;
    }

    /// <summary>A copy of <paramref name="jpeg"/> made as <paramref name="transform"/> (one of <see cref="Transforms"/>), as a JPEG.</summary>
    public static byte[] Transform(byte[] jpeg, string transform)
    {
        using var image = new MagickImage(jpeg, new MagickReadSettings { Format = MagickFormat.Jpeg });
        var w = image.Width;
        var h = image.Height;
        var quality = 85u;
        switch (transform)
        {
            case "jpeg-q70":
                quality = 70;
                break;
            case "jpeg-q40":
                quality = 40;
                break;
            case "resize-50":
                image.Resize(w / 2, h / 2);
                break;
            case "resize-25":
                image.Resize(w / 4, h / 4);
                break;
            case "messenger":
                // What a chat app makes of a forwarded photo: smaller, harder compressed, a little cropped.
                image.Crop(new MagickGeometry((int)(w * 0.01), (int)(h * 0.01), (uint)(w * 0.98), (uint)(h * 0.98)));
                image.ResetPage();
                image.Resize(new MagickGeometry(1280, 1280));
                quality = 60;
                break;
            case "crop-2" or "crop-5":
                var margin = transform == "crop-2" ? 0.02 : 0.05;
                image.Crop(new MagickGeometry((int)(w * margin), (int)(h * margin), (uint)(w * (1 - (2 * margin))), (uint)(h * (1 - (2 * margin)))));
                image.ResetPage();
                break;
            case "crop-5-corner":
                image.Crop(new MagickGeometry((int)(w * 0.05), (int)(h * 0.05), (uint)(w * 0.95), (uint)(h * 0.95)));
                image.ResetPage();
                break;
            case "bright-15":
                image.Modulate(new Percentage(115), new Percentage(100), new Percentage(100));
                break;
            case "bright-30":
                image.Modulate(new Percentage(130), new Percentage(100), new Percentage(100));
                break;
            case "rotate-2" or "rotate-5":
                image.VirtualPixelMethod = VirtualPixelMethod.Edge;
                image.Distort(DistortMethod.ScaleRotateTranslate, transform == "rotate-2" ? 2 : 5);
                break;
            default:
                throw new ArgumentException($"unknown transform '{transform}'", nameof(transform));
        }

        image.Quality = quality;
        return image.ToByteArray(MagickFormat.Jpeg);
    }

    private static string Colour(Random random) => $"#{random.Next(0x1000000):x6}";

    private static string Grey(Random random)
    {
        var level = random.Next(0x40, 0xc0);
        return $"#{level:x2}{level:x2}{level:x2}";
    }
}
