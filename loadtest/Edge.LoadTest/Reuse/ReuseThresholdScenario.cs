using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using Edge.Gateway.Imaging;
using Edge.LoadTesting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Edge.LoadTest.Reuse;

/// <summary>
/// Measures how the gateway's perceptual hash (dHash, computed by the real photo pipeline) tells a reused photo from a
/// new one: porch scenes are generated, each with transformed copies (re-encoded, resized, cropped, brightened,
/// rotated) and the same porch with another delivery; for every Hamming distance threshold it reports the share of
/// copies found (true matches, per transform) and the share of pairs of different scenes that would match (false
/// matches), from which the gateway's threshold is chosen.
/// </summary>
internal static class ReuseThresholdScenario
{
    public const string Name = "reuse-threshold";

    private const int MaxThreshold = 16;

    public static async Task<BenchmarkReport> RunAsync(ScenarioArguments arguments)
    {
        var scenes = arguments.Int("scenes", 150);
        var width = arguments.Int("width", 1600);
        var concurrency = arguments.Int("concurrency", 2);
        if (scenes < 2 || width < 320)
        {
            throw new ArgumentException("--scenes must be at least 2 and --width at least 320");
        }

        var root = Directory.CreateTempSubdirectory("edge-loadtest-reuse-").FullName;
        try
        {
            using var pipeline = new MagickPhotoPipeline(
                Options.Create(new PhotoOptions { Concurrency = concurrency, QueueLength = 64 }), NullLogger<MagickPhotoPipeline>.Instance);
            var transforms = PorchScenes.Transforms;
            var originals = new ulong[scenes];
            var copies = new ulong[scenes, transforms.Length];
            var samePorch = new ulong[scenes];
            var height = (uint)(width * 3 / 4);
            await Parallel.ForAsync(0, scenes, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (scene, token) =>
            {
                var jpeg = PorchScenes.Jpeg(scene + 1, (uint)width, height);
                originals[scene] = await HashAsync(pipeline, root, jpeg, token);
                for (var t = 0; t < transforms.Length; t++)
                {
                    copies[scene, t] = await HashAsync(pipeline, root, PorchScenes.Transform(jpeg, transforms[t]), token);
                }

                samePorch[scene] = await HashAsync(pipeline, root, PorchScenes.Jpeg(scene + 1, (uint)width, height, parcelSeed: 100_000 + scene), token);
            });

            var report = new BenchmarkReport(Name);
            report.Parameters["scenes"] = scenes.ToString(CultureInfo.InvariantCulture);
            report.Parameters["photo"] = $"{width}x{height} JPEG q90";
            report.Parameters["hash"] = "dHash 64 bit from MagickPhotoPipeline (AnalysisSize 640)";

            // True matches: each copy against its own original.
            var trueDistances = new int[transforms.Length][];
            for (var t = 0; t < transforms.Length; t++)
            {
                trueDistances[t] = Enumerable.Range(0, scenes).Select(s => Distance(originals[s], copies[s, t])).ToArray();
            }

            var samePorchDistances = Enumerable.Range(0, scenes).Select(s => Distance(originals[s], samePorch[s])).ToArray();

            // False matches: every photo (original or copy) of one scene against every photo of every other scene.
            var all = new List<(int Scene, ulong Hash)>();
            for (var s = 0; s < scenes; s++)
            {
                all.Add((s, originals[s]));
                for (var t = 0; t < transforms.Length; t++)
                {
                    all.Add((s, copies[s, t]));
                }
            }

            var falseAtOrBelow = new long[65];
            long falsePairs = 0;
            for (var i = 0; i < all.Count; i++)
            {
                for (var j = i + 1; j < all.Count; j++)
                {
                    if (all[i].Scene != all[j].Scene)
                    {
                        falseAtOrBelow[Distance(all[i].Hash, all[j].Hash)]++;
                        falsePairs++;
                    }
                }
            }

            for (var d = 1; d <= 64; d++)
            {
                falseAtOrBelow[d] += falseAtOrBelow[d - 1];
            }

            PrintTable(transforms, trueDistances, samePorchDistances, falseAtOrBelow, falsePairs);
            for (var t = 0; t < transforms.Length; t++)
            {
                var sorted = trueDistances[t].Order().ToArray();
                report.Add($"true {transforms[t]} distance median", sorted[sorted.Length / 2], "bits");
                report.Add($"true {transforms[t]} distance max", sorted[^1], "bits");
            }

            report.Add("same porch, other delivery: distance median", samePorchDistances.Order().ElementAt(scenes / 2), "bits");
            report.Add("different scenes: pairs", falsePairs, "pairs");
            report.Add("different scenes: smallest distance", Array.FindIndex(falseAtOrBelow, c => c > 0), "bits");
            for (var threshold = 0; threshold <= MaxThreshold; threshold++)
            {
                report.Add($"t={threshold} copies found (all transforms)", 100.0 * trueDistances.Sum(d => d.Count(x => x <= threshold)) / (scenes * transforms.Length), "%");
                report.Add($"t={threshold} false matches per pair", (double)falseAtOrBelow[threshold] / falsePairs, "1");
            }

            return report;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void PrintTable(string[] transforms, int[][] trueDistances, int[] samePorch, long[] falseAtOrBelow, long falsePairs)
    {
        var output = Console.Out;
        output.WriteLine("share of copies within distance t (true matches), same porch with another delivery, and false matches per pair of different scenes");
        output.Write("transform      ");
        for (var t = 0; t <= MaxThreshold; t++)
        {
            output.Write(string.Create(CultureInfo.InvariantCulture, $"{t,8}"));
        }

        output.WriteLine();
        for (var i = 0; i < transforms.Length; i++)
        {
            Row(output, transforms[i], trueDistances[i]);
        }

        Row(output, "same-porch", samePorch);
        output.Write("false/pair     ");
        for (var t = 0; t <= MaxThreshold; t++)
        {
            output.Write(string.Create(CultureInfo.InvariantCulture, $"{(double)falseAtOrBelow[t] / falsePairs,8:0.0e0}"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"({falsePairs} pairs of different scenes; 0 means none in them, i.e. below {3.0 / falsePairs:0.0e0} at 95 % confidence)"));
    }

    private static void Row(TextWriter output, string name, int[] distances)
    {
        output.Write(name.PadRight(15));
        for (var t = 0; t <= MaxThreshold; t++)
        {
            output.Write(string.Create(CultureInfo.InvariantCulture, $"{100.0 * distances.Count(d => d <= t) / distances.Length,7:0}%"));
        }

        output.WriteLine();
    }

    private static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);

    private static async Task<ulong> HashAsync(MagickPhotoPipeline pipeline, string root, byte[] jpeg, CancellationToken cancellationToken)
    {
        var work = Directory.CreateDirectory(Path.Combine(root, Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            var path = Path.Combine(work, "upload.jpg");
            await File.WriteAllBytesAsync(path, jpeg, cancellationToken);
            var processed = await pipeline.ProcessAsync(
                new PhotoSource(path, jpeg.Length, Convert.ToHexStringLower(SHA256.HashData(jpeg)), "image/jpeg", work), cancellationToken);
            return ulong.Parse(processed.Report!.PerceptualHash, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
