using ImageMagick;
using ImageMagick.Drawing;

namespace Edge.LoadTesting;

/// <summary>A rectangle of a labelled scene, in pixels.</summary>
internal readonly record struct SceneBox(double X, double Y, double Width, double Height)
{
    public double Right => X + Width;

    public double Bottom => Y + Height;

    /// <summary>Intersection over union.</summary>
    public double Overlap(SceneBox other)
    {
        var w = Math.Min(Right, other.Right) - Math.Max(X, other.X);
        var h = Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y);
        return w <= 0 || h <= 0 ? 0 : w * h / ((Width * Height) + (other.Width * other.Height) - (w * h));
    }

    public bool Intersects(SceneBox other, double margin = 0)
        => X - margin < other.Right && other.X - margin < Right && Y - margin < other.Bottom && other.Y - margin < Bottom;
}

/// <summary>A labelled face: where it is and its size (the height of the pasted head) in the scene's pixels.</summary>
internal readonly record struct SceneFace(SceneBox Box, int Size, string Source);

/// <summary>A porch scene with what it holds: faces, parcels (with printed labels and barcodes) and face-like drawings.</summary>
internal sealed record FaceScene(MagickImage Image, IReadOnlyList<SceneFace> Faces, IReadOnlyList<SceneBox> Parcels, IReadOnlyList<SceneBox> Lookalikes) : IDisposable
{
    public void Dispose() => Image.Dispose();
}

/// <summary>
/// The labelled set of the face redaction measurements and tests, made from a seed: <see cref="PorchScenes"/> porches
/// with real faces (the photographs in <c>Faces/</c>, see its SOURCES.md) pasted at a chosen size, position and a
/// small rotation, parcels with printed address labels and barcodes, and face-like drawings (smileys, a cartoon face)
/// on parcels and walls. Nothing overlaps (things stay 60 % of their size apart, more than a face's blur padding), so a
/// blurred pixel can be traced to what it covers.
/// </summary>
internal static class FaceScenes
{
    /// <summary>
    /// <paramref name="scene"/> as a JPEG of quality 90: chroma 4:4:4 as ImageMagick writes that quality
    /// (<paramref name="sampling"/> "444"), or 4:2:0 as phone cameras store photos ("420").
    /// </summary>
    public static byte[] Jpeg(FaceScene scene, string sampling)
    {
        scene.Image.Quality = 90;
        scene.Image.Settings.SetDefines(new ImageMagick.Formats.JpegWriteDefines
        {
            SamplingFactor = sampling switch
            {
                "420" => ImageMagick.Formats.JpegSamplingFactor.Ratio420,
                "444" => ImageMagick.Formats.JpegSamplingFactor.Ratio444,
                _ => throw new ArgumentException($"--sampling is 444 or 420, not '{sampling}'.", nameof(sampling)),
            },
        });
        return scene.Image.ToByteArray(MagickFormat.Jpeg);
    }

    /// <summary>The face photographs, by file name, in the folder <c>Faces</c> beside the test or benchmark binary.</summary>
    public static readonly string[] Sources = ["face-a.jpg", "face-b.jpg", "face-y0.jpg", "face-y1.jpg", "face-y2.jpg", "face-y3.jpg"];

    private static readonly string? Font = new[] { "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" }.FirstOrDefault(File.Exists);

    /// <summary>
    /// A scene of <paramref name="width"/> x <paramref name="height"/> with one face per entry of
    /// <paramref name="faceSizes"/> (pixels of head height), 1-3 labelled parcels and, when <paramref name="lookalikes"/>,
    /// face-like drawings.
    /// </summary>
    public static FaceScene Make(int seed, IReadOnlyList<int> faceSizes, bool lookalikes = true, uint width = 4000, uint height = 3000)
    {
        var random = new Random(seed);
        var image = PorchScenes.Scene(seed, width, height);
        var taken = new List<SceneBox>();
        var parcels = new List<SceneBox>();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            var size = width * (0.12 + (random.NextDouble() * 0.12));
            if (Place(random, taken, size, size * 0.75, width, height, bottom: true) is { } box)
            {
                DrawParcel(image, box, random);
                parcels.Add(box);
            }
        }

        var faces = new List<SceneFace>();
        foreach (var size in faceSizes)
        {
            var source = Sources[random.Next(Sources.Length)];
            using var face = new MagickImage(Path.Combine(AppContext.BaseDirectory, "Faces", source));
            face.Resize(new MagickGeometry(0, (uint)size));
            if (Place(random, taken, face.Width, face.Height, width, height, bottom: false) is not { } box)
            {
                continue;
            }

            // A small tilt of the head; the label stays the upright box (the tilted corners are background).
            face.BackgroundColor = MagickColors.None;
            face.Alpha(AlphaAction.Set);
            face.Rotate((random.NextDouble() * 20) - 10);
            image.Composite(face, (int)(box.X + ((box.Width - face.Width) / 2)), (int)(box.Y + ((box.Height - face.Height) / 2)), CompositeOperator.Over);
            faces.Add(new SceneFace(box, size, source));
        }

        var lookalikeBoxes = new List<SceneBox>();
        if (lookalikes)
        {
            // A smiley printed on each parcel, and a cartoon face on the wall.
            foreach (var parcel in parcels)
            {
                var r = parcel.Width * 0.08;
                var smiley = new SceneBox(parcel.X + (parcel.Width * 0.7), parcel.Y + (parcel.Height * 0.15), 2 * r, 2 * r);
                DrawCartoonFace(image, smiley, "#f5c518");
                lookalikeBoxes.Add(smiley);
            }

            var side = width * (0.03 + (random.NextDouble() * 0.06));
            if (Place(random, taken, side, side, width, height, bottom: false) is { } wall)
            {
                DrawCartoonFace(image, wall, "#ffd7b5");
                lookalikeBoxes.Add(wall);
            }
        }

        return new FaceScene(image, faces, parcels, lookalikeBoxes);
    }

    private static SceneBox? Place(Random random, List<SceneBox> taken, double w, double h, uint width, uint height, bool bottom)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var x = random.NextDouble() * (width - w);
            var top = bottom ? height * 0.5 : 0;
            var y = top + (random.NextDouble() * (height - top - h));
            var box = new SceneBox(x, y, w, h);
            if (x >= 0 && y >= 0 && !taken.Any(t => t.Intersects(box, margin: Math.Max(w, h) * 0.6)))
            {
                taken.Add(box);
                return box;
            }
        }

        return null;
    }

    private static void DrawParcel(MagickImage image, SceneBox box, Random random)
    {
        var d = new Drawables()
            .FillColor(new MagickColor($"#{random.Next(0x90, 0xd0):x2}{random.Next(0x60, 0x90):x2}{random.Next(0x30, 0x50):x2}"))
            .Rectangle(box.X, box.Y, box.Right, box.Bottom)
            .FillColor(MagickColors.White)
            .Rectangle(box.X + (box.Width * 0.08), box.Y + (box.Height * 0.45), box.X + (box.Width * 0.6), box.Bottom - (box.Height * 0.08));

        // A barcode: black bars of random widths under the address.
        var x = box.X + (box.Width * 0.1);
        var bar = box.Width * 0.006;
        while (x < box.X + (box.Width * 0.55))
        {
            var w = bar * random.Next(1, 4);
            d.FillColor(MagickColors.Black).Rectangle(x, box.Y + (box.Height * 0.72), x + w, box.Bottom - (box.Height * 0.12));
            x += w + (bar * random.Next(1, 3));
        }

        d.Draw(image);
        if (Font is not null)
        {
            new Drawables().Font(Font).FontPointSize(box.Height * 0.05).FillColor(MagickColors.Black)
                .Text(box.X + (box.Width * 0.1), box.Y + (box.Height * 0.53), $"J. SMITH  {random.Next(1, 999)} MAIN ST")
                .Text(box.X + (box.Width * 0.1), box.Y + (box.Height * 0.62), $"SPRINGFIELD {random.Next(10000, 99999)}")
                .Draw(image);
        }
    }

    private static void DrawCartoonFace(MagickImage image, SceneBox box, string skin)
    {
        var cx = box.X + (box.Width / 2);
        var cy = box.Y + (box.Height / 2);
        var r = box.Width / 2;
        new Drawables()
            .StrokeColor(MagickColors.Black).StrokeWidth(Math.Max(1, r * 0.05)).FillColor(new MagickColor(skin))
            .Ellipse(cx, cy, r, r, 0, 360)
            .FillColor(MagickColors.Black)
            .Ellipse(cx - (r * 0.35), cy - (r * 0.25), r * 0.1, r * 0.15, 0, 360)
            .Ellipse(cx + (r * 0.35), cy - (r * 0.25), r * 0.1, r * 0.15, 0, 360)
            .FillColor(MagickColors.Transparent)
            .Arc(cx - (r * 0.5), cy - (r * 0.2), cx + (r * 0.5), cy + (r * 0.6), 20, 160)
            .Draw(image);
    }
}

/// <summary>
/// A search's boxes scored against labelled scenes, as the tests and the benchmarks count them: a face is found when a
/// box overlaps it by more than 0.2 (intersection over union), a box overlapping no face is a false positive (on a
/// face-like drawing when it overlaps one alike, else elsewhere), and a box whose blur (the box padded by a quarter on
/// each side) meets a parcel has blurred it.
/// </summary>
internal sealed class FaceTally
{
    /// <summary>The head heights (px in a 4000x3000 scene) of the test's set (B).</summary>
    public static readonly int[] Bands = [80, 120, 200, 400, 700, 1000];

    /// <summary>The faces of scene <paramref name="index"/> (seed 500 + index) of the test's set: none in two scenes of ten, else three bands, each twice or more over ten scenes.</summary>
    public static int[] TestSetSizes(int index) => index % 5 == 4 ? [] : [Bands[index % 6], Bands[(index + 2) % 6], Bands[(index + 4) % 6]];

    /// <summary>What is blurred for <paramref name="box"/>: the box padded by a quarter on each side.</summary>
    public static SceneBox Blurred(SceneBox box) => new(box.X - (box.Width * 0.25), box.Y - (box.Height * 0.25), box.Width * 1.5, box.Height * 1.5);

    /// <summary>Faces found, by head height.</summary>
    public Dictionary<int, int> Found { get; } = [];

    /// <summary>Faces in the scenes, by head height.</summary>
    public Dictionary<int, int> Total { get; } = [];

    public int FalsePositives => FalsePositiveSizes.Values.Sum();

    /// <summary>False positives on nothing face-like (not on a smiley or a cartoon face): background, labels, barcodes.</summary>
    public int FalsePositivesElsewhere => Elsewhere.Count;

    /// <summary>The false positives on nothing face-like, described (where, and what is nearest).</summary>
    public List<string> Elsewhere { get; } = [];

    /// <summary>False positives by box height (px in the scene), rounded to the nearest 20 px.</summary>
    public Dictionary<int, int> FalsePositiveSizes { get; } = [];

    /// <summary>The blurs that met a parcel, described.</summary>
    public List<string> OnParcels { get; } = [];

    /// <summary>Share of the faces of <paramref name="least"/> px and more that were found (0 without any).</summary>
    public double Recall(int least = 0)
    {
        var total = Total.Where(b => b.Key >= least).Sum(b => b.Value);
        return total == 0 ? 0 : Found.Where(b => b.Key >= least).Sum(b => b.Value) / (double)total;
    }

    /// <summary>Scores <paramref name="boxes"/> (in the scene's pixels) found in <paramref name="scene"/>, named <paramref name="label"/> in <see cref="OnParcels"/>.</summary>
    public void Add(FaceScene scene, IReadOnlyList<SceneBox> boxes, string label)
    {
        foreach (var face in scene.Faces)
        {
            Total[face.Size] = Total.GetValueOrDefault(face.Size) + 1;
            if (boxes.Any(b => b.Overlap(face.Box) > 0.2))
            {
                Found[face.Size] = Found.GetValueOrDefault(face.Size) + 1;
            }
        }

        foreach (var box in boxes)
        {
            var blurred = Blurred(box);
            var face = scene.Faces.Any(f => box.Overlap(f.Box) > 0.2);
            if (scene.Parcels.Any(parcel => parcel.Intersects(blurred)))
            {
                OnParcels.Add($"{label}: {(face ? "a face's" : "a false positive's")} blur {blurred} covers a parcel");
            }

            if (!face)
            {
                if (!scene.Lookalikes.Any(l => box.Overlap(l) > 0.2))
                {
                    var near = scene.Faces.Select(f => (What: $"a face of {f.Size} px at {f.Box}", Overlap: box.Overlap(f.Box)))
                        .Concat(scene.Lookalikes.Select(l => (What: $"a face-like drawing at {l}", Overlap: box.Overlap(l))))
                        .MaxBy(n => n.Overlap);
                    Elsewhere.Add($"{label}: box {box}{(near.Overlap > 0 ? $", overlapping {near.What} by {near.Overlap:0.00}" : "")}");
                }

                var size = (int)Math.Round(box.Height / 20) * 20;
                FalsePositiveSizes[size] = FalsePositiveSizes.GetValueOrDefault(size) + 1;
            }
        }
    }
}
