using System.Security.Cryptography;

namespace Edge.Client.Uploads;

/// <summary>A photo on the device's disk with its digest, size and sniffed media type.</summary>
internal sealed record PhotoFile(string Path, string Sha256, long Size, string ContentType)
{
    public static async Task<PhotoFile> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var header = new byte[12];
        var headerLength = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        stream.Position = 0;
        var digest = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return new PhotoFile(path, Convert.ToHexStringLower(digest), stream.Length, Sniff(header.AsSpan(0, headerLength)));
    }

    /// <summary>The media type from the first bytes (informational for the gateway, which sniffs for itself).</summary>
    public static string Sniff(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (header.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47]))
        {
            return "image/png";
        }

        if (header.Length >= 12 && header[4..8].SequenceEqual("ftyp"u8))
        {
            return "image/heic";
        }

        return "application/octet-stream";
    }
}
