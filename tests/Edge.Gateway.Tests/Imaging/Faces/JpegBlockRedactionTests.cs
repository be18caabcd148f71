using Edge.Gateway.Imaging.Faces;
using Edge.LoadTesting;
using ImageMagick;
using ImageMagick.Formats;

namespace Edge.Gateway.Tests.Imaging.Faces;

/// <summary>
/// A JPEG's faces are blurred by rewriting only the 8x8 blocks under them, in the DCT domain: those blocks must show the
/// blurred picture (in the right place whatever the photo's orientation, in the right colours), and every other block
/// must decode exactly as before.
/// </summary>
public sealed class JpegBlockRedactionTests : IDisposable
{
    private const int Width = 640;
    private const int Height = 480;

    // The box to blur, in pixels of the picture (3/8 of the upright photo): upright photo pixels 120-320 across, 80-266 down.
    private static readonly PixelBox Box = new(45, 30, 120, 100);

    private readonly string _root = Directory.CreateTempSubdirectory("edge-blocks-").FullName;

    [Theory]
    [InlineData(1, 85)]
    [InlineData(2, 85)]
    [InlineData(3, 85)]
    [InlineData(4, 85)]
    [InlineData(5, 85)]
    [InlineData(6, 85)]
    [InlineData(7, 85)]
    [InlineData(8, 85)]
    [InlineData(6, 95)] // 4:4:4: chroma blocks as large as luma's
    public void Box_ShowsThePicture_AndEverythingAwayFromItDecodesAsBefore(int orientation, int quality)
    {
        // An upright photo with a different slope in each colour, so a box put anywhere else, or turned, shows.
        using var upright = Gradient(Width, Height);
        using var stored = StoredFor(upright, orientation);
        stored.Quality = (uint)quality;
        var jpeg = stored.ToByteArray(MagickFormat.Jpeg);

        // The picture the search saw, with the box painted over in the photo's colours inverted (as smooth as a blur).
        using var picture = (MagickImage)upright.Clone();
        picture.Resize(new MagickGeometry((uint)(Width * 3 / 8), (uint)(Height * 3 / 8)) { IgnoreAspectRatio = true });
        using (var box = (MagickImage)picture.CloneArea(new MagickGeometry(Box.Left, Box.Top, (uint)(Box.Right - Box.Left), (uint)(Box.Bottom - Box.Top))))
        {
            box.Negate();
            picture.Composite(box, Box.Left, Box.Top, CompositeOperator.Over);
        }

        var path = Path.Combine(_root, $"redacted-{orientation}-{quality}.jpg");
        using var rgb = RgbPicture.Read(picture);
        Assert.True(JpegBlockRedaction.TryWrite(jpeg, orientation, rgb, [Box], path, out var unsupported), unsupported);

        using var before = Upright(jpeg, orientation);
        using var after = Upright(File.ReadAllBytes(path), orientation);
        Assert.Equal((Width, Height), ((int)after.Width, (int)after.Height));
        var scale = Width / (double)picture.Width;

        // Inside (two blocks in from the box's edge): the inverted colours, within a level (0.5-0.6 measured; a slope with the
        // wrong sign, 1-1.8).
        using var expected = (MagickImage)picture.Clone();
        expected.Resize(new MagickGeometry(Width, Height) { IgnoreAspectRatio = true });
        var inner = new SceneBox((Box.Left * scale) + 16, (Box.Top * scale) + 16, ((Box.Right - Box.Left) * scale) - 32, ((Box.Bottom - Box.Top) * scale) - 32);
        var inside = MeanChannelDifference(expected, after, inner);
        Assert.True(inside < 0.9, $"the box differs from the blurred picture by {inside:0.00} levels");
        Assert.True(MeanChannelDifference(before, after, inner) > 30, "the box still shows the photo");

        // Outside (two chroma blocks away): not one pixel changed.
        var margin = 32;
        var (left, top, right, bottom) = ((Box.Left * scale) - margin, (Box.Top * scale) - margin, (Box.Right * scale) + margin, (Box.Bottom * scale) + margin);
        var a = Rgb(before);
        var b = Rgb(after);
        var changedOutside = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var outside = x < left || x >= right || y < top || y >= bottom;
                var i = ((y * Width) + x) * 3;
                if (outside && (a[i] != b[i] || a[i + 1] != b[i + 1] || a[i + 2] != b[i + 2]))
                {
                    changedOutside++;
                }
            }
        }

        Assert.Equal(0, changedOutside);
    }

    [Fact]
    public void ProgressiveAndGreyJpegs_AreRewrittenInPlaceToo()
    {
        using var upright = Gradient(Width, Height);
        using var picture = (MagickImage)upright.Clone();
        picture.Resize(new MagickGeometry((uint)(Width * 3 / 8), (uint)(Height * 3 / 8)) { IgnoreAspectRatio = true });
        picture.Negate();
        using var rgb = RgbPicture.Read(picture);

        using var progressive = (MagickImage)upright.Clone();
        progressive.Quality = 85;
        progressive.Settings.Interlace = Interlace.Jpeg;
        using var grey = (MagickImage)upright.Clone();
        grey.Grayscale();
        grey.Quality = 85;

        foreach (var (name, image) in new[] { ("progressive", progressive), ("grey", grey) })
        {
            var jpeg = image.ToByteArray(MagickFormat.Jpeg);
            var path = Path.Combine(_root, $"{name}.jpg");
            Assert.True(JpegBlockRedaction.TryWrite(jpeg, 1, rgb, [Box], path, out var unsupported), $"{name}: {unsupported}");
            using var before = new MagickImage(jpeg);
            using var after = new MagickImage(path);
            var scale = Width / (double)picture.Width;
            var inner = new SceneBox((Box.Left * scale) + 16, (Box.Top * scale) + 16, ((Box.Right - Box.Left) * scale) - 32, ((Box.Bottom - Box.Top) * scale) - 32);
            Assert.True(MeanChannelDifference(before, after, inner) > 40, $"{name}: the box still shows the photo");
            Assert.Equal(0, MeanChannelDifference(before, after, new SceneBox(0, 400, Width, 80)));
        }
    }

    [Fact]
    public void CmykJpeg_IsRefusedWithTheReason_AndNothingIsWritten()
    {
        using var upright = Gradient(Width, Height);
        using var cmyk = (MagickImage)upright.Clone();
        cmyk.ColorSpace = ColorSpace.CMYK;
        cmyk.Quality = 85;
        var jpeg = cmyk.ToByteArray(MagickFormat.Jpeg);
        using var rgb = RgbPicture.Read(upright);
        var path = Path.Combine(_root, "cmyk.jpg");

        Assert.False(JpegBlockRedaction.TryWrite(jpeg, 1, rgb, [Box], path, out var unsupported));

        Assert.Contains("4 components", unsupported);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Frame_IsReadFromTheHeaders()
    {
        using var upright = Gradient(Width, Height);
        upright.Quality = 75;
        upright.Settings.SetDefines(new JpegWriteDefines { SamplingFactor = JpegSamplingFactor.Ratio420 });
        var jpeg = upright.ToByteArray(MagickFormat.Jpeg);

        var frame = JpegFrame.Read(jpeg, out var unsupported);

        Assert.Null(unsupported);
        Assert.NotNull(frame);
        Assert.Equal((Width, Height, JpegColour.YCbCr), (frame.Width, frame.Height, frame.Colour));
        Assert.Equal([(2, 2), (1, 1), (1, 1)], frame.Components.Select(c => (c.H, c.V)));
        // libjpeg's standard tables at quality 75 (scaled by 50 %): luminance 16, 11, 12 and chrominance 17, 18, 18, halved and rounded.
        Assert.Equal((8, 6, 6), (frame.Components[0].Dc, frame.Components[0].FirstAcAcross, frame.Components[0].FirstAcDown));
        Assert.Equal((9, 9, 9), (frame.Components[1].Dc, frame.Components[1].FirstAcAcross, frame.Components[1].FirstAcDown));
    }

    /// <summary>The redacted stored JPEG of a scene with faces, through the whole pipeline: a parcel is not one bit different.</summary>
    [Fact]
    public async Task Pipeline_JpegWithFaces_KeepsEveryPixelAwayFromTheFaces()
    {
        using var fixture = new FaceRedactionFixture();
        using var scene = FaceScenes.Make(seed: 21, faceSizes: [300, 160], width: 2000, height: 1500);
        var original = FaceRedactionFixture.Jpeg(scene);

        var redacted = await fixture.ProcessAsync(original, redactFaces: true);

        Assert.True(redacted.Report!.FacesBlurred >= 2);
        using var before = new MagickImage(original);
        using var after = new MagickImage(redacted.StoredPath);
        Assert.NotEmpty(scene.Parcels);
        foreach (var parcel in scene.Parcels)
        {
            Assert.Equal(0, FaceRedactionPipelineTests.MeanDifference(before, after, parcel));
        }

        foreach (var face in scene.Faces)
        {
            Assert.True(FaceRedactionPipelineTests.MeanDifference(before, after, face.Box) > 1, $"face of {face.Size} px unchanged");
        }
    }

    private static MagickImage Gradient(int width, int height)
    {
        // Red rises across, green down, blue across and down the other way: every turn or mirror of it is another picture.
        var values = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                values[i] = (byte)(30 + (190 * x / width));
                values[i + 1] = (byte)(40 + (170 * y / height));
                values[i + 2] = (byte)(220 - (100 * x / width) - (80 * y / height));
            }
        }

        var image = new MagickImage();
        image.ReadPixels(values, new PixelReadSettings((uint)width, (uint)height, StorageType.Char, "RGB"));
        return image;
    }

    /// <summary>The pixels as a camera stores them for <paramref name="orientation"/>: EXIF's turn brings back <paramref name="upright"/>.</summary>
    private static MagickImage StoredFor(MagickImage upright, int orientation)
    {
        var stored = (MagickImage)upright.Clone();
        switch (orientation)
        {
            case 2: stored.Flop(); break;
            case 3: stored.Rotate(180); break;
            case 4: stored.Flip(); break;
            case 5: stored.Transpose(); break;
            case 6: stored.Rotate(270); break;
            case 7: stored.Transverse(); break;
            case 8: stored.Rotate(90); break;
        }

        return stored;
    }

    private static MagickImage Upright(byte[] jpeg, int orientation)
    {
        var image = new MagickImage(jpeg);
        image.Orientation = (Orientation)orientation;
        image.AutoOrient();
        return image;
    }

    private static byte[] Rgb(MagickImage image) => image.GetPixelsUnsafe().ToByteArray("RGB")!;

    /// <summary>Mean absolute difference (0-255) over the three colours of two same-size images, over a box.</summary>
    private static double MeanChannelDifference(MagickImage a, MagickImage b, SceneBox box)
    {
        var x = Math.Max(0, (int)box.X);
        var y = Math.Max(0, (int)box.Y);
        var w = Math.Min((int)a.Width - x, (int)box.Width);
        var h = Math.Min((int)a.Height - y, (int)box.Height);
        var pa = a.GetPixelsUnsafe().ToByteArray(x, y, (uint)w, (uint)h, "RGB")!;
        var pb = b.GetPixelsUnsafe().ToByteArray(x, y, (uint)w, (uint)h, "RGB")!;
        return pa.Zip(pb, (p, q) => (double)Math.Abs(p - q)).Average();
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
