namespace Edge.Fleet.Links;

/// <summary>
/// Upload chunks one device put on the wire, by object: how many streams each object took (one, plus one per resume or
/// takeover) and how many chunk bytes covered offsets already sent once (bytes sent again).
/// </summary>
internal sealed class UploadLedger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ObjectRecord> _objects = new(StringComparer.Ordinal);
    private long _chunkBytes;
    private long _chunks;
    private long _resentBytes;
    private long _streams;
    private long _resumes;

    public long ChunkBytes => Interlocked.Read(ref _chunkBytes);

    public long Chunks => Interlocked.Read(ref _chunks);

    public long ResentBytes => Interlocked.Read(ref _resentBytes);

    public long Streams => Interlocked.Read(ref _streams);

    /// <summary>Upload streams after the first of the same object: resumes and takeovers.</summary>
    public long Resumes => Interlocked.Read(ref _resumes);

    public void Started(string sha256, long size)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _streams);
            if (_objects.TryGetValue(sha256, out var record))
            {
                record.Streams++;
                Interlocked.Increment(ref _resumes);
            }
            else
            {
                _objects[sha256] = new ObjectRecord { Size = size, Streams = 1 };
            }
        }
    }

    public void Chunk(string sha256, long offset, int length)
    {
        lock (_gate)
        {
            Interlocked.Add(ref _chunkBytes, length);
            Interlocked.Increment(ref _chunks);
            if (!_objects.TryGetValue(sha256, out var record))
            {
                return;
            }

            // The SDK sends an object front to back and resumes at or below the highest byte it sent, so one mark is
            // enough to know which bytes went out before.
            var end = offset + length;
            var again = Math.Max(0, Math.Min(end, record.HighestSent) - offset);
            record.HighestSent = Math.Max(record.HighestSent, end);
            Interlocked.Add(ref _resentBytes, again);
        }
    }

    /// <summary>Per object: its size, streams and bytes sent again (for the weaklink runner's single upload).</summary>
    public (long Size, int Streams, long HighestSent)? Find(string sha256)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(sha256, out var r) ? (r.Size, r.Streams, r.HighestSent) : null;
        }
    }

    private sealed class ObjectRecord
    {
        public long Size { get; init; }

        public int Streams { get; set; }

        public long HighestSent { get; set; }
    }
}
