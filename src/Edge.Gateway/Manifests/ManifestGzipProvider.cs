using System.IO.Compression;
using Grpc.Net.Compression;

namespace Edge.Gateway.Manifests;

/// <summary>
/// The gateway's <c>gzip</c> message encoding. It compresses like any gzip provider, except that a manifest answer
/// (a <see cref="ManifestReply"/> being written on this thread, recognised by its exact payload buffer) is written
/// from the gzip bytes that reply compressed once for its version, so a cache hit costs no compression. Reading
/// (gzip-encoded requests) is plain <see cref="GZipStream"/>.
/// </summary>
internal sealed class ManifestGzipProvider(CompressionLevel defaultLevel = CompressionLevel.Fastest) : ICompressionProvider
{
    public string EncodingName => "gzip";

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel)
        => new CompressionStream(stream, compressionLevel ?? defaultLevel);

    public Stream CreateDecompressionStream(Stream stream) => new GZipStream(stream, CompressionMode.Decompress);

    /// <summary>Write-only: the first write decides between the precompressed reply and a real gzip stream.</summary>
    private sealed class CompressionStream(Stream output, CompressionLevel level) : Stream
    {
        private GZipStream? _gzip;
        private bool _precompressed;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_gzip is null && !_precompressed && ManifestReply.Writing is { } reply && buffer == reply.Payload)
            {
                output.Write(reply.Gzip());
                _precompressed = true;
                return;
            }

            if (_precompressed)
            {
                throw new InvalidOperationException("A precompressed manifest answer is written in one piece.");
            }

            (_gzip ??= new GZipStream(output, level, leaveOpen: true)).Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush() => _gzip?.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _gzip?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
