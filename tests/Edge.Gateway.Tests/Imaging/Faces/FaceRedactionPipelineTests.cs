using Edge.Gateway.Imaging;
using Edge.LoadTesting;
using ImageMagick;

namespace Edge.Gateway.Tests.Imaging.Faces;

public sealed class FaceRedactionPipelineTests(FaceRedactionFixture fixture) : IClassFixture<FaceRedactionFixture>
{
    [Fact]
    public async Task Jpeg_NoFace_StaysLosslesslyStrippedAndSaysItWasChecked()
    {
        // A phone's JPEG: a doorstep with a parcel, EXIF with GPS, XMP, a comment and an ICC profile.
        var original = TestPhotos.PhoneJpeg();
        var stripped = new System.Buffers.ArrayBufferWriter<byte>();
        JpegMetadataStripper.Strip(original, stripped);

        var result = await fixture.ProcessAsync(original, redactFaces: true);

        Assert.Equal(stripped.WrittenSpan.ToArray(), await File.ReadAllBytesAsync(result.StoredPath));
        Assert.True(result.Report!.FacesChecked);
        Assert.Equal(0, result.Report.FacesBlurred);
    }

    [Fact]
    public async Task Jpeg_RedactionNotAsked_KeepsFacesAndSaysSo()
    {
        using var scene = FaceScenes.Make(seed: 11, faceSizes: [300], width: 2000, height: 1500);
        var original = FaceRedactionFixture.Jpeg(scene);

        var result = await fixture.ProcessAsync(original, redactFaces: false);

        Assert.False(result.Report!.FacesChecked);
        Assert.Equal(0, result.Report.FacesBlurred);
        using var stored = new MagickImage(result.StoredPath);
        using var decoded = new MagickImage(original);
        Assert.True(MeanDifference(decoded, stored, scene.Faces[0].Box) < 1);
    }

    [Fact]
    public async Task Jpeg_WithFaces_BlursEachFaceAndNoParcel_InPhotoAndThumbnail()
    {
        // Faces near the photographs' own sizes: enlarged far beyond them, a face has too little detail left to measure its loss.
        using var scene = FaceScenes.Make(seed: 21, faceSizes: [300, 160], width: 2000, height: 1500);
        Assert.Equal(2, scene.Faces.Count);
        Assert.NotEmpty(scene.Parcels);
        var original = FaceRedactionFixture.Jpeg(scene);

        var redacted = await fixture.ProcessAsync(original, redactFaces: true);
        var kept = await fixture.ProcessAsync(original, redactFaces: false);

        using var before = new MagickImage(original);
        AssertRedacted(scene, redacted, kept, before);
    }

    [Fact]
    public async Task Jpeg_WithFacesTurnedByExif_BlursThemInTheUprightPhotoAndThumbnail()
    {
        // A phone held sideways: the pixels lie on their side and EXIF Orientation 6 turns them upright.
        using var scene = FaceScenes.Make(seed: 21, faceSizes: [300, 160], width: 2000, height: 1500);
        using var sideways = (MagickImage)scene.Image.Clone();
        sideways.Rotate(-90);
        TestPhotos.AddPhoneMetadata(sideways);
        sideways.Quality = 90;
        var original = sideways.ToByteArray(MagickFormat.Jpeg);

        var redacted = await fixture.ProcessAsync(original, redactFaces: true);
        var kept = await fixture.ProcessAsync(original, redactFaces: false);

        // Stored as the phone stored it, turned upright by its EXIF; compared with the scene as the phone saw it.
        using var before = new MagickImage(FaceRedactionFixture.Jpeg(scene));
        Assert.Equal((2000, 1500), (redacted.Report!.Width, redacted.Report.Height));
        AssertRedacted(scene, redacted, kept, before);
    }

    [Fact]
    public async Task CmykJpeg_WithFaces_IsSearchedInItsColours_AndReencodedWithTheFacesBlurred()
    {
        // A CMYK JPEG (a print workflow's, not a phone's): its blocks cannot be rewritten in place, so it takes the whole
        // re-encode; the faces must still be found (in its colours, not its raw ink values) and blurred in every channel.
        using var scene = FaceScenes.Make(seed: 21, faceSizes: [300, 160], width: 2000, height: 1500);
        using var cmyk = (MagickImage)scene.Image.Clone();
        cmyk.ColorSpace = ColorSpace.CMYK;
        cmyk.Quality = 90;
        var original = cmyk.ToByteArray(MagickFormat.Jpeg);

        var redacted = await fixture.ProcessAsync(original, redactFaces: true);
        var kept = await fixture.ProcessAsync(original, redactFaces: false);

        using var before = new MagickImage(original);
        before.ColorSpace = ColorSpace.sRGB;
        AssertRedacted(scene, redacted, kept, before);

        // Re-encoded once at the documented quality (JpegQuality, 90), as sRGB, chroma 4:2:0.
        using var stored = new MagickImage(redacted.StoredPath);
        Assert.Equal((uint)fixture.Redactor.JpegQuality, stored.Quality);
        Assert.Equal(90, fixture.Redactor.JpegQuality);
        Assert.Equal(ColorSpace.sRGB, stored.ColorSpace);
        Assert.Equal("2x2,1x1,1x1", stored.GetAttribute("jpeg:sampling-factor"));
    }

    [Fact]
    public async Task Heic_WithFaces_IsStoredAsJpegWithTheFacesBlurred_InPhotoAndThumbnail()
    {
        // An iPhone's format: decoded whole, searched, blurred and stored as JPEG (the whole re-encode).
        using var scene = FaceScenes.Make(seed: 21, faceSizes: [300, 160], width: 2000, height: 1500);
        var original = TestPhotos.HeicWithFaces();

        var redacted = await fixture.ProcessAsync(original, redactFaces: true, "image/heic");
        var kept = await fixture.ProcessAsync(original, redactFaces: false, "image/heic");

        Assert.Equal("HEIC", redacted.Report!.Format);
        Assert.Equal("image/jpeg", redacted.ContentType);
        using var before = new MagickImage(original, new MagickReadSettings { Format = MagickFormat.Heic });
        AssertRedacted(scene, redacted, kept, before);
    }

    [Fact]
    public async Task Png_WithFace_IsBlurredInTheStoredPng()
    {
        using var scene = FaceScenes.Make(seed: 31, faceSizes: [360], lookalikes: false, width: 1600, height: 1200);
        var original = scene.Image.ToByteArray(MagickFormat.Png);

        var result = await fixture.ProcessAsync(original, redactFaces: true, "image/png");
        var kept = await fixture.ProcessAsync(original, redactFaces: false, "image/png");

        Assert.Equal(1, result.Report!.FacesBlurred);
        using var before = new MagickImage(original);
        using var after = new MagickImage(result.StoredPath);
        var (similarity, energy) = DetailKept(before, after, Inner(scene.Faces[0].Box), sigma: 3);
        Assert.True(similarity < 0.2, $"the face keeps its detail (similarity {similarity:0.00}, energy {energy:0.00})");
        Assert.True(MeanDifference(before, after, scene.Parcels[0]) < 0.5);

        AssertThumbnailHidesFace(result, kept, before, scene.Faces[0].Box);
    }

    /// <summary>
    /// Each face of <paramref name="scene"/> lost its own detail in the stored photo and the thumbnail of
    /// <paramref name="redacted"/>, no parcel changed beyond the re-encoding, and the report counts the faces.
    /// </summary>
    private static void AssertRedacted(FaceScene scene, ProcessedPhoto redacted, ProcessedPhoto kept, MagickImage before)
    {
        // Both faces; a cartoon face on the wall may be taken for one too (a false positive the docs report).
        Assert.InRange(redacted.Report!.FacesBlurred, 2, 2 + scene.Lookalikes.Count - scene.Parcels.Count);
        Assert.True(redacted.Report.FacesChecked);
        using var after = new MagickImage(redacted.StoredPath);
        after.AutoOrient();
        Assert.Equal((before.Width, before.Height), (after.Width, after.Height));
        foreach (var face in scene.Faces)
        {
            // Pixelated and blurred: what detail is left in the middle of the head is not the face's (eyes, nose, mouth).
            var (similarity, energy) = DetailKept(before, after, Inner(face.Box), sigma: 3);
            Assert.True(similarity < 0.2, $"face of {face.Size} px keeps its detail (similarity {similarity:0.00}, energy {energy:0.00})");
        }

        foreach (var parcel in scene.Parcels)
        {
            // Only the blocks under faces are rewritten (JpegBlockRedactionTests: a parcel is bit-identical); the bound also
            // holds for a photo re-encoded whole.
            Assert.True(MeanDifference(before, after, parcel) < 2.5, $"parcel at {parcel} changed");
        }

        AssertThumbnailHidesFace(redacted, kept, before, scene.Faces[0].Box);
    }

    /// <summary>The thumbnail of <paramref name="redacted"/> is made from the blurred picture: the face at <paramref name="face"/> (in <paramref name="before"/>'s pixels) lost its detail against the thumbnail of <paramref name="kept"/>.</summary>
    private static void AssertThumbnailHidesFace(ProcessedPhoto redacted, ProcessedPhoto kept, MagickImage before, SceneBox face)
    {
        using var thumbnail = new MagickImage(redacted.ThumbnailPath!);
        using var plain = new MagickImage(kept.ThumbnailPath!);
        Assert.Equal((plain.Width, plain.Height), (thumbnail.Width, thumbnail.Height));
        var scale = thumbnail.Width / (double)before.Width;
        var inThumbnail = new SceneBox(face.X * scale, face.Y * scale, face.Width * scale, face.Height * scale);
        var (similarity, _) = DetailKept(plain, thumbnail, Inner(inThumbnail), sigma: 1);
        Assert.True(similarity < 0.3, $"the thumbnail shows the face (similarity {similarity:0.00})");
    }

    /// <summary>
    /// How much of the detail of <paramref name="before"/> over a box is still in <paramref name="after"/>: the
    /// correlation of their detail (each grey picture minus its Gaussian blur of <paramref name="sigma"/>, so smooth
    /// gradients and flat colour do not count), about 1 for the same picture re-encoded and about 0 for a blurred one, and
    /// the detail's energy after as a share of before. Scale-free: a dark face with little contrast measures as well as a
    /// bright one.
    /// </summary>
    internal static (double Similarity, double Energy) DetailKept(MagickImage before, MagickImage after, SceneBox box, double sigma)
    {
        var a = HighPass(before, box, sigma);
        var b = HighPass(after, box, sigma);
        double ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }

        return (ab / Math.Sqrt((aa * bb) + 1e-9), Math.Sqrt(bb / Math.Max(aa, 1e-9)));
    }

    private static double[] HighPass(MagickImage image, SceneBox box, double sigma)
    {
        var (x, y, w, h) = Clip(image, box);
        using var region = (MagickImage)image.CloneArea(new MagickGeometry(x, y, (uint)w, (uint)h));
        region.Grayscale(PixelIntensityMethod.Average);
        using var smooth = (MagickImage)region.Clone();
        smooth.GaussianBlur(0, sigma);
        using var regionPixels = region.GetPixels();
        using var smoothPixels = smooth.GetPixels();
        var sharp = regionPixels.ToByteArray("R")!;
        var blurred = smoothPixels.ToByteArray("R")!;
        return [.. sharp.Zip(blurred, (p, q) => (double)p - q)];
    }

    /// <summary>The middle half of a head's box, where the face is.</summary>
    private static SceneBox Inner(SceneBox box) => new(box.X + (box.Width / 4), box.Y + (box.Height / 4), box.Width / 2, box.Height / 2);

    /// <summary>Mean absolute difference (0-255) of the grey levels of two same-size images over a box.</summary>
    internal static double MeanDifference(MagickImage a, MagickImage b, SceneBox box)
    {
        var (x, y, w, h) = Clip(a, box);
        var pa = Grey(a, x, y, w, h);
        var pb = Grey(b, x, y, w, h);
        return pa.Zip(pb, (p, q) => Math.Abs(p - q)).Average();
    }

    private static (int X, int Y, int W, int H) Clip(MagickImage image, SceneBox box)
    {
        var x = Math.Max(0, (int)box.X);
        var y = Math.Max(0, (int)box.Y);
        return (x, y, Math.Min((int)image.Width - x, (int)box.Width), Math.Min((int)image.Height - y, (int)box.Height));
    }

    private static int[] Grey(MagickImage image, int x, int y, int w, int h)
    {
        using var pixels = image.GetPixels();
        var rgb = pixels.ToByteArray(x, y, (uint)w, (uint)h, "RGB")!;
        var grey = new int[w * h];
        for (var i = 0; i < grey.Length; i++)
        {
            grey[i] = (rgb[3 * i] + rgb[(3 * i) + 1] + rgb[(3 * i) + 2]) / 3;
        }

        return grey;
    }
}
