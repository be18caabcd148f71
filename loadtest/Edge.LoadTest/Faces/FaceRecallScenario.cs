using Edge.Gateway.Imaging.Faces;
using Edge.LoadTesting;
using Microsoft.Extensions.Options;

namespace Edge.LoadTest.Faces;

/// <summary>
/// Recall and false positives of face redaction's search on the labelled sets (<see cref="FaceScenes"/>), per head
/// height, with the detector runs and the search's CPU per photo: the gateway's search, or other searches to compare
/// with it on the same pictures. Each scene is a 4000x3000 JPEG of quality 90, decoded at 3/8 as the pipeline does.
/// </summary>
internal static class FaceRecallScenario
{
    public const string Name = "face-recall";

    /// <summary>The search before the whole picture proposed candidates: the whole picture and a 2x2 grid decided on faces.</summary>
    public static readonly FaceSearch GridSearch = FaceRedactor.Search(new FaceRedactionOptions()) with { Grids = [2], WholeCandidateThreshold = 0, AcceptScore = 0 };

    /// <summary>The searches that can be compared: the gateway's, and the variants measured against it.</summary>
    private static readonly Dictionary<string, FaceSearch> Searches = new(StringComparer.Ordinal)
    {
        ["gateway"] = FaceRedactor.Search(new FaceRedactionOptions()),
        ["grid"] = GridSearch,
        // Both: the grid kept and the whole picture proposing.
        ["grid-whole-proposes"] = GridSearch with { WholeCandidateThreshold = 0.2f },
        // The search before the tiles' confident candidates were taken without a check: every candidate checked, the
        // whole picture proposing from 0.2.
        ["before"] = FaceRedactor.Search(new FaceRedactionOptions()) with { WholeCandidateThreshold = 0.2f, AcceptScore = 0 },
    };

    /// <summary>
    /// The sets: B is <c>FaceLabelledSetTests</c>' (80-1,000 px, two scenes in ten without a face); C small faces (80-240
    /// px); D the middle sizes (240-640 px), where a face is small in the whole picture and may lie across tiles; E the
    /// whole range from under the floor (40 and 60 px) to 1,000 px, two scenes in sixteen without a face.
    /// </summary>
    private static readonly Dictionary<string, (int FirstSeed, int Count, Func<int, int[]> Sizes)> Sets = new(StringComparer.Ordinal)
    {
        ["B"] = (500, 10, FaceTally.TestSetSizes),
        ["C"] = (2000, 24, i => i % 2 == 0 ? [80, 100, 200] : [120, 160, 240]),
        ["D"] = (3000, 16, i => i % 2 == 0 ? [240, 320, 400] : [480, 560, 640]),
        ["E"] = (4000, 16, i => i % 8 == 7 ? [] : i % 2 == 0 ? [40, 120, 400] : [60, 80, 200, 1000]),
    };

    public static BenchmarkReport Run(ScenarioArguments arguments)
    {
        var sets = (arguments.String("sets") ?? "B,C,D").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var searches = (arguments.String("searches") ?? "gateway").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var sampling = arguments.String("sampling") ?? "420";
        foreach (var name in searches.Where(s => !Searches.ContainsKey(s)))
        {
            throw new ArgumentException($"--searches takes {string.Join(", ", Searches.Keys)}, not '{name}'.");
        }

        foreach (var name in sets.Where(s => !Sets.ContainsKey(s)))
        {
            throw new ArgumentException($"--sets takes {string.Join(", ", Sets.Keys)}, not '{name}'.");
        }

        var report = new BenchmarkReport(Name);
        report.Parameters["sets"] = string.Join(',', sets);
        report.Parameters["searches"] = string.Join(',', searches);
        report.Parameters["sampling"] = sampling;
        using var detector = new BlazeFace(FaceModel.Load(configuredPath: null));
        var tallies = searches.ToDictionary(s => s, _ => sets.ToDictionary(s => s, _ => new Tally()));
        foreach (var set in sets)
        {
            var (firstSeed, count, sizes) = Sets[set];
            for (var i = 0; i < count; i++)
            {
                using var scene = FaceScenes.Make(firstSeed + i, sizes(i));
                using var picture = FaceCostScenario.Decode(FaceScenes.Jpeg(scene, sampling), (uint)FaceRedactor.SearchSide(scene.Image.Width), (uint)FaceRedactor.SearchSide(scene.Image.Height));
                var scale = scene.Image.Width / (double)picture.Width;
                foreach (var search in searches)
                {
                    var tally = tallies[search][set];
                    var runs = detector.Runs;
                    var cpu = ProcessFigures.CpuTime();
                    var boxes = FaceFinder.Find(detector, picture, Searches[search]);
                    tally.Add(scene, [.. boxes.Select(b => new SceneBox(b.X * scale, b.Y * scale, b.Width * scale, b.Height * scale))], $"scene {firstSeed + i}", (int)(detector.Runs - runs), (ProcessFigures.CpuTime() - cpu).TotalMilliseconds);

                    // The parcels' margin: the best score of a box that would blur a parcel were the threshold 0.3.
                    var low = Searches[search] with { Threshold = 0.3f };
                    foreach (var box in FaceFinder.Find(detector, picture, low))
                    {
                        var blurred = FaceTally.Blurred(new SceneBox(box.X * scale, box.Y * scale, box.Width * scale, box.Height * scale));
                        if (scene.Parcels.Any(p => p.Intersects(blurred)))
                        {
                            tally.ParcelScore = Math.Max(tally.ParcelScore, box.Score);
                        }
                    }
                }

                Console.Error.Write($"\r{set} {i + 1}/{count}   ");
            }
        }

        Console.Error.WriteLine();
        foreach (var search in searches)
        {
            foreach (var set in sets)
            {
                var t = tallies[search][set];
                var prefix = $"{search} set {set}:";
                foreach (var band in t.Faces.Total.Keys.Order())
                {
                    report.Parameters[$"{prefix} {band} px"] = $"{t.Faces.Found.GetValueOrDefault(band)} of {t.Faces.Total[band]}";
                }

                report.Add($"{prefix} recall from 80 px", t.Faces.Recall(80), "");
                report.Add($"{prefix} false positives", t.Faces.FalsePositives, "boxes");
                report.Add($"{prefix} false positives not on a face-like drawing", t.Faces.FalsePositivesElsewhere, "boxes");
                foreach (var line in t.Faces.Elsewhere)
                {
                    Console.Error.WriteLine($"{prefix} false positive not on a face-like drawing: {line}");
                }

                foreach (var size in t.Faces.FalsePositiveSizes.Keys.Order())
                {
                    report.Parameters[$"{prefix} false positives of {size} px"] = t.Faces.FalsePositiveSizes[size].ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                report.Add($"{prefix} blurs on a parcel", t.Faces.OnParcels.Count, "boxes");
                report.Add($"{prefix} best score of a box over a parcel (threshold 0.3)", t.ParcelScore, "");
                report.Add($"{prefix} detector runs per photo, mean", t.Runs.Average(), "runs");
                report.Add($"{prefix} detector runs per photo, max", t.Runs.Max(), "runs");
                report.Add($"{prefix} search CPU per photo", t.Cpu / t.Runs.Count, "ms");
            }
        }

        return report;
    }

    /// <summary>A search's score on a set (<see cref="FaceTally"/>) with its detector runs, CPU and parcel margin.</summary>
    private sealed class Tally
    {
        public FaceTally Faces { get; } = new();

        public List<int> Runs { get; } = [];

        public double Cpu { get; private set; }

        public double ParcelScore { get; set; }

        public void Add(FaceScene scene, IReadOnlyList<SceneBox> boxes, string label, int runs, double cpu)
        {
            Faces.Add(scene, boxes, label);
            Runs.Add(runs);
            Cpu += cpu;
        }
    }
}
