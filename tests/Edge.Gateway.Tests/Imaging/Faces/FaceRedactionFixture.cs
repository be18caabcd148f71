using System.Security.Cryptography;
using Edge.Gateway.Imaging;
using Edge.Gateway.Imaging.Faces;
using Edge.LoadTesting;
using ImageMagick;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Gateway.Tests.Imaging.Faces;

/// <summary>A pipeline with face redaction configured (the model the build fetched) and a scratch directory, shared by a test class.</summary>
public sealed class FaceRedactionFixture : IDisposable
{
    private int _next;

    public FaceRedactionFixture()
    {
        Root = Directory.CreateTempSubdirectory("edge-faces-").FullName;
        Redactor = new FaceRedactor(Microsoft.Extensions.Options.Options.Create(new FaceRedactionOptions { Enabled = true }));
        Pipeline = new MagickPhotoPipeline(Microsoft.Extensions.Options.Options.Create(new PhotoOptions()), NullLogger<MagickPhotoPipeline>.Instance, faces: Redactor);
    }

    public string Root { get; }

    internal FaceRedactor Redactor { get; }

    internal MagickPhotoPipeline Pipeline { get; }

    /// <summary>Runs the pipeline on <paramref name="bytes"/>, with or without redaction.</summary>
    internal Task<ProcessedPhoto> ProcessAsync(byte[] bytes, bool redactFaces, string contentType = "image/jpeg")
    {
        var id = Interlocked.Increment(ref _next);
        var path = Path.Combine(Root, $"upload-{id}");
        File.WriteAllBytes(path, bytes);
        var work = Directory.CreateDirectory(Path.Combine(Root, $"work-{id}")).FullName;
        var source = new PhotoSource(path, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), contentType, work, RedactFaces: redactFaces);
        return Pipeline.ProcessAsync(source, CancellationToken.None);
    }

    /// <summary>A labelled scene as a JPEG of quality 90, as a phone stores it.</summary>
    internal static byte[] Jpeg(FaceScene scene)
    {
        scene.Image.Quality = 90;
        return scene.Image.ToByteArray(MagickFormat.Jpeg);
    }

    public void Dispose()
    {
        Pipeline.Dispose();
        Redactor.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
