using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Edge.Client.Uploads;
using Edge.V1;
using Google.Protobuf;
using V1 = Edge.V1;

namespace Edge.Client.Outbox;

/// <summary>
/// The device's outbox on its own disk: scans, proofs and the proofs' photo copies waiting for the gateway, the
/// manifest cache and the installation id. Every entry is one durable file, sealed by <see cref="OutboxCipher"/>, so
/// whatever was queued before a crash or an app restart is there for the next client on the same directory, and
/// nothing in it can be read or changed without the app's key.
/// </summary>
/// <remarks>
/// Layout: <c>scans/{sequence}.scan</c> (a ScanEvent), <c>rejected/</c> (scans and proofs refused for good),
/// <c>proofs/{queued-ticks}-{key}.proof</c> (a <see cref="QueuedProof"/>), <c>photos/{sha256}</c>,
/// <c>manifests/{key}.manifest</c>, <c>damaged/</c> (files that did not open, moved aside), <c>installation-id</c>,
/// <c>scan-sequence</c>, <c>receipts-seen</c> (the <c>updated_at</c> of the last receipt the watch brought, in UTC
/// ticks), <c>.key-check</c> (in an encrypted outbox). One client at a time holds <c>.lock</c>. Names never come from
/// what the gateway sends: a proof or route id is hashed into its <c>{key}</c>, and proofs are found by comparing
/// names, never by a pattern.
/// </remarks>
internal sealed partial class OutboxStore : IDisposable
{
    private const string ScanExtension = ".scan";
    private const string ProofExtension = ".proof";
    private const string KeyCheckFile = ".key-check";

    private readonly OutboxCipher _cipher;
    private readonly Action<DamagedOutboxFile> _damaged;
    private readonly string _scans;
    private readonly string _rejected;
    private readonly string _proofs;
    private readonly string _manifests;
    private readonly string _quarantine;
    private readonly string _sequenceFile;
    private readonly string _receiptsSeenFile;
    private readonly FileStream _lock;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _pinned = new(StringComparer.Ordinal);
    private long _sequence;
    private DateTimeOffset? _receiptsSeen;

    /// <exception cref="CryptographicException">The key does not open this outbox, or the outbox's encryption differs from what was asked.</exception>
    public OutboxStore(string root, OutboxCipher cipher, Action<DamagedOutboxFile> damaged)
    {
        _cipher = cipher;
        _damaged = damaged;
        root = DurableFile.CreateDirectory(Path.GetFullPath(root));
        try
        {
            _lock = DurableFile.Create(Path.Combine(root, ".lock"), FileMode.OpenOrCreate, FileOptions.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"Another EdgeClient is using the outbox {root}.", e);
        }

        try
        {
            CheckKey(root);
        }
        catch
        {
            _lock.Dispose();
            throw;
        }

        _scans = DurableFile.CreateDirectory(Path.Combine(root, "scans"));
        _rejected = DurableFile.CreateDirectory(Path.Combine(root, "rejected"));
        _proofs = DurableFile.CreateDirectory(Path.Combine(root, "proofs"));
        PhotoDirectory = DurableFile.CreateDirectory(Path.Combine(root, "photos"));
        _manifests = DurableFile.CreateDirectory(Path.Combine(root, "manifests"));
        _quarantine = DurableFile.CreateDirectory(Path.Combine(root, "damaged"));
        _sequenceFile = Path.Combine(root, "scan-sequence");
        _receiptsSeenFile = Path.Combine(root, "receipts-seen");

        // Leftovers of writes a crash interrupted; their entries were never reported as queued. Files an older version
        // made readable by others are narrowed to the app's user.
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(file);
            }
            else
            {
                DurableFile.Restrict(file);
            }
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
            var name = sequence.ToString("D19", CultureInfo.InvariantCulture) + ScanExtension;
            DurableFile.Write(Path.Combine(_scans, name), _cipher.Seal(scan.ToByteArray(), Identity(OutboxEntryKind.Scan, name)));
            return scan;
        }
    }

    /// <summary>The oldest queued scans, up to <paramref name="max"/>, in the order they were recorded.</summary>
    public IReadOnlyList<QueuedScan> PendingScans(int max)
        => ScanFiles().Order(StringComparer.Ordinal).Take(max)
            .Select(file => ReadOrNull(file, OutboxEntryKind.Scan, ScanEvent.Parser.ParseFrom) is { } scan ? new QueuedScan(file, scan) : null)
            .OfType<QueuedScan>().ToList();

    public static void RemoveScan(QueuedScan scan) => File.Delete(scan.File);

    /// <summary>Moves a scan the gateway refused for good out of the queue, kept for the app to inspect.</summary>
    public void RejectScan(QueuedScan scan) => File.Move(scan.File, Path.Combine(_rejected, Path.GetFileName(scan.File)), overwrite: true);

    /// <summary>Queues a proof whose photos were imported (unpin them after this).</summary>
    public void AddProof(QueuedProof proof, DateTimeOffset queuedAt)
    {
        var name = $"{queuedAt.UtcTicks:D19}-{Key(proof.Request.ProofId)}{ProofExtension}";
        DurableFile.Write(Path.Combine(_proofs, name), _cipher.Seal(proof.ToBytes(), Identity(OutboxEntryKind.Proof, name)));
    }

    /// <summary>The queued proofs, oldest first.</summary>
    public IReadOnlyList<QueuedProof> PendingProofs()
        => ProofFiles(_proofs).Order(StringComparer.Ordinal).Select(file => ReadOrNull(file, OutboxEntryKind.Proof, QueuedProof.Parse)).OfType<QueuedProof>().ToList();

    public bool HoldsProof(string proofId) => ProofFiles(_proofs, proofId).Any();

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

    /// <summary>
    /// Removes a proof the core committed, and the photo copies nothing else needs; with <paramref name="deleteOriginals"/>,
    /// first the app's photo files it was made from (those that still hold the photo queued). The proof leaves the
    /// outbox last, so whoever sees it gone (a flush) also sees its originals gone, and a crash in between leaves the
    /// proof for its replayed receipt to finish.
    /// </summary>
    public void RemoveProof(string proofId, bool deleteOriginals)
    {
        if (deleteOriginals)
        {
            // Hashed outside the outbox's lock: reading the app's photos must not hold up scans and proofs being queued.
            OriginalPhotos.Delete(OriginalsOf(proofId));
        }

        lock (_gate)
        {
            foreach (var file in ProofFiles(_proofs, proofId).ToList())
            {
                File.Delete(file);
            }

            ReleasePhotos();
        }
    }

    private List<OriginalPhoto> OriginalsOf(string proofId)
    {
        lock (_gate)
        {
            return [.. ProofFiles(_proofs, proofId).SelectMany(file => ReadOrNull(file, OutboxEntryKind.Proof, QueuedProof.Parse)?.Originals ?? [])];
        }
    }

    /// <summary>Moves a proof that was refused for good out of the queue; it and its photos stay on the device.</summary>
    public void RejectProof(string proofId)
    {
        lock (_gate)
        {
            foreach (var file in ProofFiles(_proofs, proofId).ToList())
            {
                File.Move(file, Path.Combine(_rejected, Path.GetFileName(file)), overwrite: true);
            }
        }
    }

    public OutboxStatus Status() => new(ScanFiles().Count(), ProofFiles(_proofs).Count(),
        Directory.EnumerateFiles(PhotoDirectory).Count(f => !f.EndsWith(".tmp", StringComparison.Ordinal)))
    {
        Damaged = Directory.EnumerateFiles(_quarantine).Count(),
    };

    public V1.RouteManifest? ReadManifest(string routeId)
    {
        var path = ManifestPath(routeId);
        return File.Exists(path) ? ReadOrNull(path, OutboxEntryKind.Manifest, V1.RouteManifest.Parser.ParseFrom) : null;
    }

    public void WriteManifest(V1.RouteManifest manifest)
    {
        var path = ManifestPath(manifest.RouteId);
        DurableFile.Write(path, _cipher.Seal(manifest.ToByteArray(), Identity(OutboxEntryKind.Manifest, Path.GetFileName(path))));
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// An encrypted outbox holds a check value sealed under its key: a wrong key is refused here, before any file is
    /// read (and so before anything could be moved aside as damaged). An outbox is encrypted or not for its whole life.
    /// </summary>
    private void CheckKey(string root)
    {
        var check = Path.Combine(root, KeyCheckFile);
        var existing = File.Exists(Path.Combine(root, "installation-id"));
        if (!_cipher.Encrypts)
        {
            if (File.Exists(check))
            {
                throw new CryptographicException($"The outbox {root} is encrypted: give its key (EdgeClientOptions.OutboxKey).");
            }

            return;
        }

        if (!File.Exists(check))
        {
            if (existing)
            {
                throw new CryptographicException($"The outbox {root} was written unencrypted; it cannot be opened with a key. Deliver what it holds without one first.");
            }

            DurableFile.Write(check, _cipher.Seal("edge-outbox-key-check"u8, KeyCheckFile));
            return;
        }

        try
        {
            _cipher.Open(File.ReadAllBytes(check), KeyCheckFile);
        }
        catch (DamagedEntryException e)
        {
            throw new CryptographicException($"The key does not open the outbox {root} (it was written with another key). Nothing in it was read or changed.", e);
        }
    }

    /// <summary>Parses an outbox file; one that does not open or parse is moved aside and reported, and null returned.</summary>
    private T? ReadOrNull<T>(string file, OutboxEntryKind kind, Func<byte[], T> parse) where T : class
    {
        byte[] stored;
        try
        {
            stored = File.ReadAllBytes(file);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        try
        {
            return parse(_cipher.Open(stored, Identity(kind, Path.GetFileName(file))));
        }
        catch (Exception e) when (e is DamagedEntryException or InvalidProtocolBufferException)
        {
            Quarantine(file, kind, e is DamagedEntryException ? e.Message : "it does not parse");
            return null;
        }
    }

    /// <summary>Moves a file that did not open to <c>damaged/</c> and tells the app; never used, never silently dropped.</summary>
    private void Quarantine(string file, OutboxEntryKind kind, string reason)
    {
        var target = Path.Combine(_quarantine, $"{Identity(kind, Path.GetFileName(file)).Replace('/', '-')}-{DateTime.UtcNow.Ticks}");
        try
        {
            File.Move(file, target);
        }
        catch (FileNotFoundException)
        {
            return; // another reader moved it aside and reported it
        }

        _damaged(new DamagedOutboxFile { Kind = kind, Path = target, Reason = reason });
    }

    /// <summary>What a file's segments are bound to: its kind and name, which stay the same when it moves to <c>rejected/</c>.</summary>
    private static string Identity(OutboxEntryKind kind, string name) => kind switch
    {
        OutboxEntryKind.Scan => "scan/",
        OutboxEntryKind.Proof => "proof/",
        OutboxEntryKind.Photo => "photo/",
        _ => "manifest/",
    } + name;

    /// <summary>A hex key for an id that came from outside: a safe file name whatever the id holds.</summary>
    private static string Key(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..32];

    private string ManifestPath(string routeId) => Path.Combine(_manifests, Key(routeId) + ".manifest");

    private IEnumerable<string> ScanFiles() => Directory.EnumerateFiles(_scans, "*" + ScanExtension);

    private static IEnumerable<string> ProofFiles(string directory) => Directory.EnumerateFiles(directory, "*" + ProofExtension);

    /// <summary>The files of one proof, found by comparing names (an id is never a pattern).</summary>
    private static IEnumerable<string> ProofFiles(string directory, string proofId)
    {
        var suffix = "-" + Key(proofId) + ProofExtension;
        return ProofFiles(directory).Where(file => Path.GetFileName(file).EndsWith(suffix, StringComparison.Ordinal));
    }

    private static long SequenceOf(string file) => long.Parse(Path.GetFileNameWithoutExtension(file), CultureInfo.InvariantCulture);
}

/// <summary>A scan in the outbox and the file that holds it.</summary>
internal sealed record QueuedScan(string File, ScanEvent Event);
