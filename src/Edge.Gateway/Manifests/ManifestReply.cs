using System.IO.Compression;
using Edge.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Edge.Gateway.Manifests;

/// <summary>
/// A <c>GetManifestResponse</c> already in wire form. A 120-stop manifest is some 20-30 KB of protobuf; serializing it
/// for every call would cost more than the rest of a cache hit, so each cached version is serialized once and its
/// bytes are written as they are. Devices that accept gzip get the bytes compressed once too (see
/// <see cref="ManifestGzipProvider"/>); answers too small to gain from it (not-modified) go out uncompressed.
/// </summary>
internal sealed class ManifestReply(byte[] payload)
{
    /// <summary>Below this many bytes an answer is sent uncompressed: gzip's own header would eat what it saves.</summary>
    public const int MinCompressedBytes = 1024;

    private static readonly WriteOptions Uncompressed = new(WriteFlags.NoCompress);

    [ThreadStatic]
    private static ManifestReply? t_writing;

    private byte[]? _gzip;

    public byte[] Payload { get; } = payload;

    /// <summary>How the answer is best written: uncompressed when small, else as the call negotiated.</summary>
    public WriteOptions? WriteOptions => Payload.Length < MinCompressedBytes ? Uncompressed : null;

    /// <summary>The reply whose payload the current thread is handing to gRPC, if any.</summary>
    internal static ManifestReply? Writing => t_writing;

    public static ManifestReply From(GetManifestResponse response) => new(response.ToByteArray());

    public GetManifestResponse Parse() => GetManifestResponse.Parser.ParseFrom(Payload);

    /// <summary>The payload as a gzip member, compressed on first use and kept for the life of this version.</summary>
    public byte[] Gzip()
    {
        if (_gzip is { } done)
        {
            return done;
        }

        using var output = new MemoryStream(Payload.Length / 3);
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(Payload);
        }

        // Two threads may both compress the first time; either result is the same bytes.
        return _gzip = output.ToArray();
    }

    /// <summary>Hands <see cref="Payload"/> to gRPC, marking this reply as the one being written on this thread.</summary>
    public void WriteTo(SerializationContext context)
    {
        t_writing = this;
        try
        {
            context.Complete(Payload);
        }
        finally
        {
            t_writing = null;
        }
    }
}
