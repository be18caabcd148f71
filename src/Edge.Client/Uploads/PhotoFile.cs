using System.Security.Cryptography;
using Edge.Client.Outbox;

namespace Edge.Client.Uploads;

/// <summary>
/// A photo on the device's disk with its digest, size and sniffed media type: one of the app's files, or a copy in the
/// outbox, sealed as the outbox keeps its files (<paramref name="Identity"/> names it there).
/// </summary>
internal sealed record PhotoFile(string Path, string Sha256, long Size, string ContentType, OutboxCipher Cipher, string Identity)
{
    /// <summary>One of the app's own photo files.</summary>
    public static Task<PhotoFile> ReadAsync(string path, CancellationToken cancellationToken)
        => ReadAsync(OutboxCipher.Plain, path, identity: "", cancellationToken);

    /// <summary>Reads the whole photo once, for its digest and type.</summary>
    /// <exception cref="DamagedEntryException">A sealed copy does not open.</exception>
    public static async Task<PhotoFile> ReadAsync(OutboxCipher cipher, string path, string identity, CancellationToken cancellationToken)
    {
        using var content = cipher.OpenContent(path, identity);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[OutboxCipher.SegmentBytes];
        var header = Array.Empty<byte>();
        long offset = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, offset, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (offset == 0)
            {
                header = buffer[..Math.Min(read, 12)];
            }

            hash.AppendData(buffer, 0, read);
            offset += read;
        }

        return new PhotoFile(path, Convert.ToHexStringLower(hash.GetHashAndReset()), offset, Sniff(header), cipher, identity);
    }

    /// <summary>The photo's bytes, to read at any offset.</summary>
    public OutboxCipher.SealedContent Open() => Cipher.OpenContent(Path, Identity);

    /// <summary>The same photo read again (after the gateway found its bytes did not match the digest).</summary>
    public Task<PhotoFile> ReloadAsync(CancellationToken cancellationToken) => ReadAsync(Cipher, Path, Identity, cancellationToken);

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
