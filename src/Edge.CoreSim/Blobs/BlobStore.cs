using Edge.Shared;
using System.Security.Cryptography;
using Edge.CoreSim.Storage;

namespace Edge.CoreSim.Blobs;

/// <summary>
/// Content-addressed blobs on disk: <c>blobs/ab/abcd…</c>, named by the SHA-256 of their bytes. A blob becomes
/// visible only by an atomic rename after its bytes were fsync'd, so a name always stands for complete bytes.
/// </summary>
internal sealed class BlobStore
{
    private readonly string _root;
    private readonly string _incoming;

    public BlobStore(string root)
    {
        _root = root;
        _incoming = Path.Combine(root, ".incoming");
        Directory.CreateDirectory(_incoming);

        // Leftovers of uploads cut off by a crash: never acknowledged, so nobody waits for them.
        foreach (var file in Directory.EnumerateFiles(_incoming))
        {
            File.Delete(file);
        }
    }

    public bool Contains(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>Starts receiving a blob that is meant to hash to <paramref name="sha256"/>.</summary>
    public BlobWriter BeginWrite(string sha256, long sizeBytes) => new(this, sha256, sizeBytes);

    private string PathOf(string sha256) => Path.Combine(_root, sha256[..2], sha256);

    /// <summary>Receives one blob into a temporary file and hashes it on the way.</summary>
    internal sealed class BlobWriter : IAsyncDisposable
    {
        private readonly BlobStore _store;
        private readonly string _tempPath;
        private readonly FileStream _stream;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private bool _committed;

        public BlobWriter(BlobStore store, string sha256, long expectedBytes)
        {
            _store = store;
            Sha256 = sha256;
            ExpectedBytes = expectedBytes;
            _tempPath = Path.Combine(store._incoming, $"{sha256}.{Guid.NewGuid():N}");
            _stream = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024, useAsync: true);
        }

        public string Sha256 { get; }

        public long ExpectedBytes { get; }

        public long WrittenBytes { get; private set; }

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            _hash.AppendData(data.Span);
            await _stream.WriteAsync(data, cancellationToken);
            WrittenBytes += data.Length;
        }

        /// <summary>
        /// Verifies the digest and size, syncs the bytes and moves them into place. Returns the digest of what was
        /// received; when that is not <see cref="Sha256"/> or the size is wrong, nothing is kept.
        /// </summary>
        public async ValueTask<(bool Stored, string ActualSha256)> CommitAsync(CancellationToken cancellationToken)
        {
            var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
            if (!string.Equals(actual, Sha256, StringComparison.Ordinal) || WrittenBytes != ExpectedBytes)
            {
                return (false, actual);
            }

            await _stream.FlushAsync(cancellationToken);
            _stream.Flush(flushToDisk: true);
            await _stream.DisposeAsync();

            var finalPath = _store.PathOf(Sha256);
            var directory = Path.GetDirectoryName(finalPath)!;
            var created = !Directory.Exists(directory);
            Directory.CreateDirectory(directory);
            try
            {
                File.Move(_tempPath, finalPath, overwrite: false);
            }
            catch (IOException) when (File.Exists(finalPath))
            {
                // A concurrent upload of the same content got there first; its bytes are the same.
                File.Delete(_tempPath);
            }

            DirectorySync.Sync(directory);
            if (created)
            {
                DirectorySync.Sync(_store._root);
            }

            _committed = true;
            return (true, actual);
        }

        public async ValueTask DisposeAsync()
        {
            _hash.Dispose();
            await _stream.DisposeAsync();
            if (!_committed)
            {
                File.Delete(_tempPath);
            }
        }
    }
}
