using Edge.Gateway.Imaging.Faces;
using Edge.LoadTesting;

namespace Edge.Gateway.Tests.Imaging.Faces;

public sealed class FaceFinderTests : IDisposable
{
    private readonly BlazeFace _detector = new(FaceModel.Load(configuredPath: null));

    public void Dispose() => _detector.Dispose();

    /// <summary>Whether a box found is on the scene's one face.</summary>
    private static Predicate<FaceBox> OnThe(FaceScene scene)
    {
        var face = scene.Faces.Single().Box;
        return box => box.Overlap(new FaceBox(face.X, face.Y, face.Width, face.Height, 0)) > 0.2;
    }

    [Fact]
    public void WholePicture_ProposesAFaceTooSmallToDecideOn_AndOneCheckRunFindsIt()
    {
        // A face of 110 px in a 1500x1125 picture is 19 px in the detector's input when the whole picture is searched:
        // it scores 0.36 there, under the threshold, which is where the 2x2 grid used to be needed.
        using var scene = FaceScenes.Make(seed: 7, faceSizes: [110], lookalikes: false, width: 1500, height: 1125);
        var onTheFace = OnThe(scene);
        var detector = _detector;

        var decided = FaceFinder.Find(detector, scene.Image, new FaceSearch(0.6f, Grids: [], TileSide: 0, TileOverlap: 0, MaxFaceShare: 0.5));
        Assert.DoesNotContain(decided, onTheFace);

        var runs = detector.Runs;
        var proposed = FaceFinder.Find(detector, scene.Image, new FaceSearch(0.6f, Grids: [], TileSide: 0, TileOverlap: 0, MaxFaceShare: 0.5, CandidateThreshold: 0.2f, WholeCandidateThreshold: 0.2f));
        Assert.Contains(proposed, onTheFace);
        Assert.True(proposed.Single(b => onTheFace(b)).Score >= 0.6f);
        Assert.Equal(2, detector.Runs - runs);
    }

    [Fact]
    public void FineTilesCandidate_ScoringTheAcceptScore_IsTakenWithoutACheckRun()
    {
        // An 80 px face in a 4000x3000 photo is 30 px in the 1500x1125 picture searched: the whole picture cannot see it,
        // a fine tile proposes it.
        using var scene = FaceScenes.Make(seed: 11, faceSizes: [30], lookalikes: false, width: 1500, height: 1125);
        var onTheFace = OnThe(scene);
        var detector = _detector;
        var checkEvery = new FaceSearch(0.6f, Grids: [], TileSide: 427, TileOverlap: 64, MaxFaceShare: 0.5, CandidateThreshold: 0.2f);

        var runs = detector.Runs;
        var checkedFaces = FaceFinder.Find(detector, scene.Image, checkEvery);
        var checkedRuns = detector.Runs - runs;
        runs = detector.Runs;
        var accepted = FaceFinder.Find(detector, scene.Image, checkEvery with { AcceptScore = 0.7f });
        var acceptedRuns = detector.Runs - runs;
        runs = detector.Runs;
        var strict = FaceFinder.Find(detector, scene.Image, checkEvery with { AcceptScore = 0.999f });
        var strictRuns = detector.Runs - runs;

        Assert.Contains(checkedFaces, onTheFace);
        Assert.Contains(accepted, onTheFace);
        Assert.Equal(checkedFaces.Count, accepted.Count);
        Assert.True(accepted.Single(b => onTheFace(b)).Score >= 0.7f);
        Assert.True(acceptedRuns < checkedRuns, $"{acceptedRuns} runs taking confident candidates, {checkedRuns} checking all");
        Assert.Equal(checkedRuns, strictRuns);
        Assert.Equal(checkedFaces.Count, strict.Count);
    }

    [Theory]
    [InlineData(256 * 3)] // a row of the detector's input
    [InlineData(85 * 3)] // a tile's row, not a whole number of vectors
    [InlineData(7)]
    public void ToInputValues_ScalesEveryByteToMinusOneToOne(int length)
    {
        var source = new byte[length];
        for (var i = 0; i < length; i++)
        {
            source[i] = (byte)((i * 37) + (i / 256));
        }

        source[0] = 0;
        source[^1] = 255;
        var target = new float[length + 1];
        target[^1] = 42f;

        FaceFinder.ToInputValues(source, target.AsSpan(0, length));

        for (var i = 0; i < length; i++)
        {
            Assert.Equal((source[i] / 127.5) - 1, target[i], 1e-6);
        }

        Assert.Equal(-1f, target[0]);
        Assert.Equal(1f, target[length - 1], 1e-6);
        Assert.Equal(42f, target[^1]);
    }
}
