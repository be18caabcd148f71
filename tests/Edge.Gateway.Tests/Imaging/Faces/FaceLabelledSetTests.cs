using Edge.Gateway.Imaging.Faces;
using Edge.LoadTesting;
using ImageMagick;
using ImageMagick.Formats;
using Xunit.Abstractions;

namespace Edge.Gateway.Tests.Imaging.Faces;

/// <summary>
/// The measured floor of face redaction on the labelled set made at test time: 4000x3000 porch scenes with real faces
/// pasted at 80 to 1,000 px (head height), at random places with a tilt of up to 10 degrees, parcels with printed
/// labels and barcodes, smileys printed on the parcels and a cartoon face on the wall, and scenes without a face.
/// Each photo is searched as the pipeline searches it (the JPEG decoded at 3/8 of its size), and goes through the
/// pipeline with redaction on, whose stored photo is compared with the original pixel by pixel over every parcel.
/// </summary>
public sealed class FaceLabelledSetTests(FaceRedactionFixture fixture, ITestOutputHelper output) : IClassFixture<FaceRedactionFixture>
{
    [Fact]
    public async Task LabelledSet_FindsNineInTenFacesFrom80Px_NeverChangesAParcelPixel_AndTakesOnlyFaceLikeDrawingsForFaces()
    {
        var tally = new FaceTally();
        var parcelsCompared = 0;
        for (var seed = 0; seed < 10; seed++)
        {
            // Two scenes in ten have no face; the others three, each band twice or more over the set.
            using var scene = FaceScenes.Make(500 + seed, FaceTally.TestSetSizes(seed));
            var jpeg = FaceRedactionFixture.Jpeg(scene);
            var boxes = Search(jpeg);
            tally.Add(scene, boxes, $"scene {seed}");

            // The photo as the gateway stores it: every box found blurred, and not one pixel of a parcel changed.
            var stored = await fixture.ProcessAsync(jpeg, redactFaces: true);
            Assert.Equal(boxes.Count, stored.Report!.FacesBlurred);
            using var before = new MagickImage(jpeg);
            using var after = new MagickImage(stored.StoredPath);
            foreach (var parcel in scene.Parcels)
            {
                Assert.True(Rgb(before, parcel).AsSpan().SequenceEqual(Rgb(after, parcel)), $"scene {seed}: a pixel of the parcel at {parcel} changed");
                parcelsCompared++;
            }
        }

        foreach (var band in FaceTally.Bands)
        {
            output.WriteLine($"faces of {band} px: {tally.Found.GetValueOrDefault(band)} of {tally.Total.GetValueOrDefault(band)} found");
        }

        output.WriteLine($"false positives: {tally.FalsePositives} in 10 photos ({tally.FalsePositivesElsewhere} not on a face-like drawing), {tally.OnParcels.Count} blurs on a parcel, {parcelsCompared} parcels compared");
        Assert.True(parcelsCompared >= 10, $"only {parcelsCompared} parcels in the set");
        Assert.Empty(tally.OnParcels);
        Assert.Equal(0, tally.FalsePositivesElsewhere);
        var recall = tally.Recall(80);
        Assert.True(recall >= 0.9, $"recall {recall:0.00} for faces of 80 px and more");
    }

    private List<SceneBox> Search(byte[] jpeg)
    {
        var settings = new MagickReadSettings { Format = MagickFormat.Jpeg };
        // As the pipeline decodes a 4000x3000 JPEG for the search: 3/8 of each side (libjpeg's 3/8 scale).
        settings.SetDefines(new JpegReadDefines { Size = new MagickGeometry(1500, 1125) });
        using var picture = new MagickImage(jpeg, settings);
        var scale = 4000.0 / picture.Width;
        return [.. fixture.Redactor.Find(picture).Select(b => new SceneBox(b.X * scale, b.Y * scale, b.Width * scale, b.Height * scale))];
    }

    private static byte[] Rgb(MagickImage image, SceneBox box)
    {
        var x = (int)Math.Floor(box.X);
        var y = (int)Math.Floor(box.Y);
        using var pixels = image.GetPixels();
        return pixels.ToByteArray(x, y, (uint)Math.Ceiling(box.Right) - (uint)x, (uint)Math.Ceiling(box.Bottom) - (uint)y, "RGB")!;
    }
}
