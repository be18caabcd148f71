using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using ImageMagick;

namespace Edge.Gateway.Imaging;

/// <summary>
/// Writes a PNG without any text, time or camera chunk but with the photo's ICC profile (<c>iCCP</c>).
/// </summary>
/// <remarks>
/// ImageMagick's PNG encoder writes <c>iCCP</c> only while text chunks are allowed (it treats the profile as one more
/// piece of text), so with every text chunk left out it would drop the profile too. The encoder therefore writes
/// no colour chunk at all, and the profile goes in here, right after <c>IHDR</c> where the PNG specification wants it
/// (before PLTE and IDAT). With an ICC profile, <c>gAMA</c>, <c>cHRM</c> and <c>sRGB</c> are left out: the profile
/// says it all, and decoders that honour it ignore them.
/// </remarks>
internal static class PngColourProfile
{
    // Everything that can carry text, time or camera data, ImageMagick's private chunks, and the colour chunks (the
    // ICC profile, when there is one, is written here instead).
    private const string ExcludedChunks = "date,tIME,tEXt,zTXt,iTXt,eXIf,zxIf,vpAg,caNv,orNT,oFFs,pHYs,bKGD,iCCP,zCCP,cHRM,gAMA,sRGB";

    private const int SignatureAndHeaderBytes = 8 + 25; // signature, then IHDR: length, type, 13 bytes, CRC

    /// <summary>Writes <paramref name="image"/> (stripped of all but its ICC profile) to <paramref name="path"/>, with that profile if it has one.</summary>
    public static void Write(MagickImage image, string path)
    {
        var icc = image.GetProfile("icc") ?? image.GetProfile("icm");
        // An artifact, not a define: stripping the image set one (that also drops the colour chunks) and it wins.
        image.SetArtifact("png:exclude-chunk", ExcludedChunks);
        var png = image.ToByteArray(MagickFormat.Png);
        var profile = icc?.ToByteArray();
        using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        if (profile is null or { Length: 0 })
        {
            output.Write(png);
            return;
        }

        output.Write(png.AsSpan(0, SignatureAndHeaderBytes));
        output.Write(Chunk(profile));
        output.Write(png.AsSpan(SignatureAndHeaderBytes));
    }

    /// <summary>An iCCP chunk: profile name "icc", compression method 0, the zlib-compressed profile.</summary>
    private static byte[] Chunk(byte[] profile)
    {
        using var compressed = new MemoryStream();
        compressed.Write("iCCPicc\0\0"u8);
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(profile);
        }

        var typeAndData = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        var chunk = new byte[4 + typeAndData.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)(typeAndData.Length - 4));
        typeAndData.CopyTo(chunk.AsSpan(4));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(4 + typeAndData.Length), Crc32.HashToUInt32(typeAndData));
        return chunk;
    }
}
