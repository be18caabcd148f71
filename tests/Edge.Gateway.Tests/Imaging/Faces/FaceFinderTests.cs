using Edge.Gateway.Imaging.Faces;
using Edge.LoadTesting;

namespace Edge.Gateway.Tests.Imaging.Faces;

public sealed class FaceFinderTests
{
    [Fact]
    public void WholePicture_ProposesAFaceTooSmallToDecideOn_AndOneCheckRunFindsIt()
    {
        // A face of 110 px in a 1500x1125 picture is 19 px in the detector's input when the whole picture is searched:
        // it scores 0.36 there, under the threshold, which is where the 2x2 grid used to be needed.
        using var scene = FaceScenes.Make(seed: 7, faceSizes: [110], lookalikes: false, width: 1500, height: 1125);
        var face = scene.Faces[0].Box;
        using var detector = new BlazeFace(FaceModel.Load(configuredPath: null));
        bool OnTheFace(FaceBox box) => box.Overlap(new FaceBox(face.X, face.Y, face.Width, face.Height, 0)) > 0.2;

        var decided = FaceFinder.Find(detector, scene.Image, new FaceSearch(0.6f, Grids: [], TileSide: 0, TileOverlap: 0, MaxFaceShare: 0.5));
        Assert.DoesNotContain(decided, OnTheFace);

        var runs = detector.Runs;
        var proposed = FaceFinder.Find(detector, scene.Image, new FaceSearch(0.6f, Grids: [], TileSide: 0, TileOverlap: 0, MaxFaceShare: 0.5, CandidateThreshold: 0.2f, WholeProposes: true));
        Assert.Contains(proposed, OnTheFace);
        Assert.True(proposed.Single(OnTheFace).Score >= 0.6f);
        Assert.Equal(2, detector.Runs - runs);
    }
}
