using System.Security.Cryptography;
using ImageMagick;

namespace Edge.Client.Tests.Infrastructure;

/// <summary>Real JPEGs for the gateway's photo checks, noisy enough to be large.</summary>
public static class TestPhotos
{
    /// <summary>Writes a JPEG of the given raster size (about 0.3 bytes per pixel) into <paramref name="directory"/>.</summary>
    public static string Jpeg(string directory, uint width, uint height, int seed)
    {
        using var image = new MagickImage("gradient:#3a5f7d-#d9c7a3", width, height);
        image.AddNoise(NoiseType.Gaussian, 0.2 + seed % 7 * 0.01);
        image.Quality = 90;
        var path = Path.Combine(directory, $"photo-{seed}.jpg");
        image.Write(path, MagickFormat.Jpeg);
        return path;
    }

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
