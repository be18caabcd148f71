using Edge.Gateway.Imaging.Faces;
using Edge.LoadTesting;
using ImageMagick;
using ImageMagick.Formats;
using Microsoft.Extensions.Options;

namespace Edge.LoadTest.Faces;

/// <summary>
/// Where the CPU of face redaction goes, stage by stage, on one thread: the decodes of a 4000x3000 JPEG at the
/// analysis size and at the search size, one detector run, the whole search, and what a photo with faces adds (the
/// full decode, the blur and the JPEG encode, or the faces' blocks rewritten in the DCT domain). Process CPU time per stage, averaged over <c>--count</c> rounds.
/// </summary>
internal static class FaceCostScenario
{
    public const string Name = "face-cost";

    public static BenchmarkReport Run(ScenarioArguments arguments)
    {
        var count = arguments.Int("count", 10);
        using var scene = FaceScenes.Make(seed: 3, faceSizes: [1000, 300, 80]);
        var sampling = arguments.String("sampling") ?? "444";
        var jpeg = FaceScenes.Jpeg(scene, sampling);
        var report = new BenchmarkReport(Name);
        report.Parameters["photo"] = $"4000x3000 JPEG quality 90, chroma {sampling}, {jpeg.Length / 1e6:0.00} MB, porch scene with faces of 1000, 300 and 80 px";
        report.Parameters["count"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        report.Parameters["allocator"] = AllocatorSettings.Describe();

        using var redactor = new FaceRedactor(Options.Create(new FaceRedactionOptions { Enabled = true }));
        var searchSide = (uint)FaceRedactor.SearchSide(4000);
        using (var analysis = Measure(report, "decode at the analysis size (640 hint)", count, () => Decode(jpeg, 640, 640)))
        {
            report.Parameters["analysis decode"] = $"{analysis.Width}x{analysis.Height}";
        }

        using var picture = Measure(report, "decode at the search size", count, () => Decode(jpeg, searchSide, (uint)FaceRedactor.SearchSide(3000)));
        report.Parameters["search decode"] = $"{picture.Width}x{picture.Height}";
        using (var rgb = RgbPicture.Read(picture))
        {
            // As the gateway's search reduces the picture once for its fine tiles: each tile to the detector's input.
            var reduce = BlazeFace.InputSize / (double)FaceRedactor.Search(new FaceRedactionOptions()).TileSide;
            var (tilesWidth, tilesHeight) = ((int)Math.Round(rgb.Width * reduce), (int)Math.Round(rgb.Height * reduce));
            Measure(report, $"the search picture reduced for the fine tiles ({tilesWidth}x{tilesHeight})", count, () => rgb.Resize(0, 0, rgb.Width, rgb.Height, tilesWidth, tilesHeight)).Dispose();
        }

        // The copy the verdict, perceptual hash and thumbnail are made from; both rows include a copy of the picture.
        Measure(report, "the verdict's copy (640 px) reduced by ImageMagick", count, () =>
        {
            var copy = (MagickImage)picture.Clone();
            copy.Resize(new MagickGeometry(640, 640), FilterType.Triangle);
            return copy;
        }).Dispose();
        Measure(report, "the verdict's copy (640 px) reduced by the gateway, as the pipeline does", count, () =>
        {
            var copy = (MagickImage)picture.Clone();
            RgbPicture.Reduce(copy, 640);
            return copy;
        }).Dispose();

        using (var detector = new BlazeFace(FaceModel.Load(configuredPath: null)))
        {
            var random = new Random(1);
            foreach (ref var value in detector.Input)
            {
                value = (random.NextSingle() * 2) - 1;
            }

            report.Parameters["detector input"] = string.Join('x', detector.InputShape);
            Measure(report, "one detector run (256x256)", count * 10, () => detector.Detect(0.6f));
            Measure(report, "search of the whole picture (1 run)", count, () => FaceFinder.Find(detector, picture, new FaceSearch(0.6f, [], 0, 0, 0.5)));
            Measure(report, "search of the whole picture and a 2x2 grid (5 runs)", count, () => FaceFinder.Find(detector, picture, new FaceSearch(0.6f, [2], 0, 0, 0.5)));
            var runs = detector.Runs;
            var gridSearch = FaceRecallScenario.GridSearch;
            Measure(report, "search as before (whole picture and 2x2 grid deciding, candidate tiles, checks)", count, () => FaceFinder.Find(detector, picture, gridSearch));
            report.Parameters["detector runs before"] = ((detector.Runs - runs) / (count + 1)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            runs = detector.Runs;
            _ = FaceFinder.Find(detector, picture, FaceRedactor.Search(new FaceRedactionOptions()));
            report.Parameters["detector runs"] = (detector.Runs - runs).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var faces = Measure(report, "search (whole picture deciding and proposing, candidate tiles, checks)", count, () => redactor.Find(picture));
        report.Parameters["faces found"] = faces.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

        using var full = Measure(report, "full decode", count, () => Decode(jpeg, 4000, 3000));
        var scale = full.Width / (double)picture.Width;
        Measure(report, "blur of the faces in the full picture", count, () =>
        {
            using var copy = (MagickImage)full.Clone();
            redactor.Blur(copy, faces, scale);
            return 0;
        });
        Measure(report, "JPEG encode at quality 90 (ImageMagick's defaults: 4:4:4, optimised Huffman tables)", count, () =>
        {
            full.Quality = 90;
            return full.ToByteArray(MagickFormat.Jpeg).Length;
        });
        Measure(report, "JPEG encode at quality 90 as the gateway writes it", count, () => FaceRedactor.EncodeJpeg(full, 90).Length);

        // What the gateway does instead when TurboJPEG is there: only the blocks under the faces rewritten, no decode or encode.
        var scratch = Directory.CreateTempSubdirectory("edge-face-cost-");
        try
        {
            var round = 0;
            string? reencodedBecause = null;
            Measure(report, "faces' blocks rewritten in the DCT domain (what the gateway stores; replaces the full decode, blur and encode)", count, () =>
            {
                var path = Path.Combine(scratch.FullName, $"redacted-{round++}.jpg");
                reencodedBecause = redactor.RedactJpeg(jpeg, 1, faces, picture, path);
                var length = new FileInfo(path).Length;
                File.Delete(path);
                return length;
            });
            report.Parameters["blocks rewritten"] = reencodedBecause is null ? "yes (TurboJPEG)" : $"no, re-encoded whole: {reencodedBecause}";
        }
        finally
        {
            scratch.Delete(recursive: true);
        }

        return report;
    }

    /// <summary>The JPEG decoded by libjpeg at the smallest M/8 scale that covers <paramref name="width"/> x <paramref name="height"/>.</summary>
    internal static MagickImage Decode(byte[] jpeg, uint width, uint height)
    {
        var settings = new MagickReadSettings { Format = MagickFormat.Jpeg };
        settings.SetDefines(new JpegReadDefines { Size = new MagickGeometry(width, height) });
        return new MagickImage(jpeg, settings);
    }

    private static T Measure<T>(BenchmarkReport report, string name, int count, Func<T> stage)
    {
        // One round unmeasured: the JIT and the native libraries' first use.
        var result = stage();
        var before = ProcessFigures.CpuTime();
        for (var i = 0; i < count; i++)
        {
            if (result is IDisposable disposable)
            {
                disposable.Dispose();
            }

            result = stage();
        }

        report.Add($"{name} CPU", (ProcessFigures.CpuTime() - before).TotalMilliseconds / count, "ms");
        return result;
    }
}
