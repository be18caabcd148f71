using System.Security.Cryptography;
using Edge.Gateway.Imaging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Tests.Imaging;

/// <summary>One pipeline with default options and a scratch directory, shared by a test class.</summary>
public sealed class PipelineFixture : IDisposable
{
    private int _next;

    public PipelineFixture()
    {
        Root = Directory.CreateTempSubdirectory("edge-imaging-").FullName;
        Pipeline = Create(new PhotoOptions());
    }

    public string Root { get; }

    internal PhotoOptions Options { get; } = new();

    internal MagickPhotoPipeline Pipeline { get; }

    internal static MagickPhotoPipeline Create(PhotoOptions options)
        => new(Microsoft.Extensions.Options.Options.Create(options), NullLogger<MagickPhotoPipeline>.Instance);

    /// <summary>Writes <paramref name="bytes"/> as an upload and gives it, with an empty work directory, to <paramref name="pipeline"/>.</summary>
    internal PhotoSource Source(byte[] bytes, string contentType = "image/jpeg")
    {
        var id = Interlocked.Increment(ref _next);
        var path = Path.Combine(Root, $"upload-{id}");
        File.WriteAllBytes(path, bytes);
        var work = Directory.CreateDirectory(Path.Combine(Root, $"work-{id}")).FullName;
        return new PhotoSource(path, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), contentType, work);
    }

    internal Task<ProcessedPhoto> ProcessAsync(byte[] bytes, string contentType = "image/jpeg")
        => Pipeline.ProcessAsync(Source(bytes, contentType), CancellationToken.None);

    public void Dispose()
    {
        Pipeline.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
