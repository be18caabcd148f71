using System.Globalization;
using System.Text;
using Edge.V1;
using Google.Protobuf;
using V1 = Edge.V1;

namespace Edge.Client.Outbox;

/// <summary>
/// The device's outbox on its own disk: scans, proofs and the proofs' photo copies waiting for the gateway, the
/// manifest cache and the installation id. Every entry is one durable file, so whatever was queued before a crash or
/// an app restart is there for the next client on the same directory.
/// </summary>
/// <remarks>
/// Layout: <c>scans/{sequence}.scan</c> (a ScanEvent), <c>rejected/</c> (scans the gateway refused),
/// <c>proofs/{queued-ticks}-{proof_id}.proof</c> (a SubmitProofRequest), <c>photos/{sha256}</c>,
/// <c>manifests/{hex route id}.manifest</c>, <c>installation-id</c>, <c>scan-sequence</c>, <c>receipts-seen</c> (the
/// <c>updated_at</c> of the last receipt the watch brought, in UTC ticks). One client at a time holds
/// <c>.lock</c>.
/// </remarks>
internal sealed class OutboxStore : IDisposable
{
    private const string ScanExtension = ".scan";
    private const string ProofExtension = ".proof";

    private readonly string _scans;
    private readonly string _rejected;
    private readonly string _proofs;
    private readonly string _manifests;
    private readonly string _sequenceFile;
    private readonly string _receiptsSeenFile;
    private readonly FileStream _lock;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _pinned = new(StringComparer.Ordinal);
    private long _sequence;
    private DateTimeOffset? _receiptsSeen;

    public OutboxStore(string root)
    {
        root = Path.GetFullPath(root);
        Directory.CreateDirectory(root);
        try
        {
            _lock = new FileStream(Path.Combine(root, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"Another EdgeClient is using the outbox {root}.", e);
        }

        _scans = Create(root, "scans");
        _rejected = Create(root, "rejected");
        _proofs = Create(root, "proofs");
        PhotoDirectory = Create(root, "photos");
        _manifests = Create(root, "manifests");
        _sequenceFile = Path.Combine(root, "scan-sequence");
        _receiptsSeenFile = Path.Combine(root, "receipts-seen");

        // Leftovers of writes a crash interrupted; their entries were never reported as queued.
        foreach (var temp in Directory.EnumerateFiles(root, "*.tmp", SearchOption.AllDirectories))
        {
            File.Delete(temp);
        }

        var idFile = Path.Combine(root, "installation-id");
        if (!File.Exists(idFile))
        {
            DurableFile.Write(idFile, Encoding.ASCII.GetBytes(Guid.NewGuid().ToString("N")));
        }

        InstallationId = File.ReadAllText(idFile).Trim();
        var stored = File.Exists(_sequenceFile) ? long.Parse(File.ReadAllText(_sequenceFile), CultureInfo.InvariantCulture) : 0;
        _sequence = Math.Max(stored, ScanFiles().Select(SequenceOf).DefaultIfEmpty(0).Max());
        if (File.Exists(_receiptsSeenFile))
        {
            _receiptsSeen = new DateTimeOffset(long.Parse(File.ReadAllText(_receiptsSeenFile), CultureInfo.InvariantCulture), TimeSpan.Zero);
        }
    }

    /// <summary>Identifies this installation's outbox; part of event and upload ids.</summary>
    public string InstallationId { get; }

    public string PhotoDirectory { get; }

    /// <summary>Gives the scan its sequence number and event id and queues it.</summary>
    public ScanEvent AddScan(ScanEvent scan)
    {
        lock (_gate)
        {
            var sequence = ++_sequence;
            DurableFile.Write(_sequenceFile, Encoding.ASCII.GetBytes(sequence.ToString(CultureInfo.InvariantCulture)));
            scan.Sequence = sequence;
            scan.EventId = $"s-{InstallationId}-{sequence}";
            DurableFile.Write(Path.Combine(_scans, sequence.ToString("D19", CultureInfo.InvariantCulture) + ScanExtension), scan.ToByteArray());
            return scan;
        }
    }

    /// <summary>The oldest queued scans, up to <paramref name="max"/>, in the order they were recorded.</summary>
    public IReadOnlyList<QueuedScan> PendingScans(int max)
        => ScanFiles().Order(StringComparer.Ordinal).Take(max)
            .Select(file => ReadOrNull(file, ScanEvent.Parser) is { } scan ? new QueuedScan(file, scan) : null)
            .OfType<QueuedScan>().ToList();

    public static void RemoveScan(QueuedScan scan) => File.Delete(scan.File);

    /// <summary>Moves a scan the gateway refused for good out of the queue, kept for the app to inspect.</summary>
    public void RejectScan(QueuedScan scan) => File.Move(scan.File, Path.Combine(_rejected, Path.GetFileName(scan.File)), overwrite: true);

    /// <summary>
    /// Copies a photo into the outbox under its digest and pins it, so it is not released before the proof that will
    /// name it is queued (or the upload that needs it is done). Unpin with <see cref="UnpinPhoto"/>.
    /// </summary>
    public async Task<string> ImportPhotoAsync(Stream photo, CancellationToken cancellationToken)
    {
        var digest = await DurableFile.ImportAsync(photo, PhotoDirectory, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _pinned[digest] = _pinned.GetValueOrDefault(digest) + 1;
        }

        return digest;
    }

    public void UnpinPhoto(string digest)
    {
        lock (_gate)
        {
            if (_pinned.TryGetValue(digest, out var count) && count > 1)
            {
                _pinned[digest] = count - 1;
            }
            else
            {
                _pinned.Remove(digest);
            }

            ReleasePhotos();
        }
    }

    public string PhotoPath(string digest) => Path.Combine(PhotoDirectory, digest);

    /// <summary>Queues a proof whose photos were imported (unpin them after this).</summary>
    public void AddProof(SubmitProofRequest proof, DateTimeOffset queuedAt)
        => DurableFile.Write(Path.Combine(_proofs, $"{queuedAt.UtcTicks:D19}-{proof.ProofId}{ProofExtension}"), proof.ToByteArray());

    /// <summary>The queued proofs, oldest first.</summary>
    public IReadOnlyList<SubmitProofRequest> PendingProofs()
        => ProofFiles().Order(StringComparer.Ordinal).Select(file => ReadOrNull(file, SubmitProofRequest.Parser)).OfType<SubmitProofRequest>().ToList();

    public bool HoldsProof(string proofId) => Directory.EnumerateFiles(_proofs, "*-" + proofId + ProofExtension).Any();

    /// <summary>The time of the newest receipt the watch brought, or null before the first.</summary>
    public DateTimeOffset? ReceiptsSeen()
    {
        lock (_gate)
        {
            return _receiptsSeen;
        }
    }

    /// <summary>Records the time of a receipt the watch brought, when it is the newest yet.</summary>
    public void AdvanceReceiptsSeen(DateTimeOffset updatedAt)
    {
        lock (_gate)
        {
            if (_receiptsSeen >= updatedAt)
            {
                return;
            }

            _receiptsSeen = updatedAt;
            DurableFile.Write(_receiptsSeenFile, Encoding.ASCII.GetBytes(updatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>Removes a proof the core committed, and the photo copies nothing else needs.</summary>
    public void RemoveProof(string proofId)
    {
        lock (_gate)
        {
            foreach (var file in Directory.EnumerateFiles(_proofs, "*-" + proofId + ProofExtension))
            {
                File.Delete(file);
            }

            ReleasePhotos();
        }
    }

    /// <summary>Moves a proof that was refused for good out of the queue; it and its photos stay on the device.</summary>
    public void RejectProof(string proofId)
    {
        lock (_gate)
        {
            foreach (var file in Directory.EnumerateFiles(_proofs, "*-" + proofId + ProofExtension))
            {
                File.Move(file, Path.Combine(_rejected, Path.GetFileName(file)), overwrite: true);
            }
        }
    }

    public OutboxStatus Status() => new(ScanFiles().Count(), ProofFiles().Count(),
        Directory.EnumerateFiles(PhotoDirectory).Count(f => !f.EndsWith(".tmp", StringComparison.Ordinal)));

    public V1.RouteManifest? ReadManifest(string routeId) => ReadOrNull(ManifestPath(routeId), V1.RouteManifest.Parser);

    public void WriteManifest(V1.RouteManifest manifest) => DurableFile.Write(ManifestPath(manifest.RouteId), manifest.ToByteArray());

    public void Dispose() => _lock.Dispose();

    /// <summary>Deletes photo copies that no queued or rejected proof names and nothing has pinned. Under the lock.</summary>
    private void ReleasePhotos()
    {
        var named = PendingProofs()
            .Concat(Directory.EnumerateFiles(_rejected, "*" + ProofExtension).Select(f => ReadOrNull(f, SubmitProofRequest.Parser)).OfType<SubmitProofRequest>())
            .SelectMany(p => p.PhotoSha256)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var photo in Directory.EnumerateFiles(PhotoDirectory).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            var digest = Path.GetFileName(photo);
            if (!named.Contains(digest) && !_pinned.ContainsKey(digest))
            {
                File.Delete(photo);
            }
        }
    }

    private string ManifestPath(string routeId) => Path.Combine(_manifests, Convert.ToHexStringLower(Encoding.UTF8.GetBytes(routeId)) + ".manifest");

    private IEnumerable<string> ScanFiles() => Directory.EnumerateFiles(_scans, "*" + ScanExtension);

    private IEnumerable<string> ProofFiles() => Directory.EnumerateFiles(_proofs, "*" + ProofExtension);

    private static long SequenceOf(string file) => long.Parse(Path.GetFileNameWithoutExtension(file), CultureInfo.InvariantCulture);

    private static T? ReadOrNull<T>(string file, MessageParser<T> parser) where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(File.ReadAllBytes(file));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static string Create(string root, string name) => Directory.CreateDirectory(Path.Combine(root, name)).FullName;
}

/// <summary>A scan in the outbox and the file that holds it.</summary>
internal sealed record QueuedScan(string File, ScanEvent Event);
