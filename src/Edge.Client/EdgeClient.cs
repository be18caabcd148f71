using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Edge.Client.Connection;
using Edge.Client.Manifests;
using Edge.Client.Outbox;
using Edge.Client.Proofs;
using Edge.Client.Scans;
using Edge.Client.Uploads;
using Google.Protobuf.WellKnownTypes;
using V1 = Edge.V1;

namespace Edge.Client;

/// <summary>
/// A handheld's connection to the Edge gateway. Uploads photos resumably, queues scans and proofs of delivery in an
/// outbox on the device's disk and delivers them in the background whenever the gateway can be reached, reports proof
/// receipts, and keeps route manifests. One instance per app; it is safe to use from several threads.
/// </summary>
/// <remarks>
/// Whatever was queued survives the app: a new client on the same <see cref="EdgeClientOptions.OutboxDirectory"/>
/// delivers what the last one did not. Only one client at a time may use an outbox directory.
/// </remarks>
public sealed class EdgeClient : IAsyncDisposable
{
    private readonly EdgeClientOptions _options;
    private readonly GatewayConnection _connection;
    private readonly OutboxStore _outbox;
    private readonly ChunkSizer _sizer;
    private readonly WindowSizer _windows;
    private readonly PhotoUploader _uploader;
    private readonly ScanDispatcher _scans;
    private readonly ProofDispatcher _proofs;
    private readonly ManifestCache _manifests;
    private readonly AsyncSignal _outboxChanged = new();
    private readonly DamageReports _damaged;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _drain;
    private int _disposed;

    /// <summary>
    /// Opens the outbox in <see cref="EdgeClientOptions.OutboxDirectory"/> (creating it when needed) and starts
    /// delivering what it holds.
    /// </summary>
    /// <param name="options">The client's settings; read once, here.</param>
    /// <exception cref="ArgumentException">A required setting is missing or a setting is out of range.</exception>
    /// <exception cref="InvalidOperationException">Another client is using the outbox directory.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">
    /// <see cref="EdgeClientOptions.OutboxKey"/> does not open the outbox (it was written with another key, or without
    /// one). Nothing in it was read or changed.
    /// </exception>
    public EdgeClient(EdgeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _damaged = new DamageReports(this);
        _outbox = new OutboxStore(options.OutboxDirectory!, new OutboxCipher(options.OutboxKey), _damaged.Report);
        _connection = new GatewayConnection(options);
        _sizer = new ChunkSizer(options.MinChunkBytes, options.InitialChunkBytes, options.MaxChunkBytes);
        _windows = new WindowSizer(options.MaxUnacknowledgedBytes, options.TimeProvider);
        _uploader = new PhotoUploader(_connection, _sizer, _windows, options, _outbox.InstallationId);
        _scans = new ScanDispatcher(_connection, _outbox, options, OnScanRejected, _outboxChanged.Set);
        _proofs = new ProofDispatcher(_connection, _outbox, _uploader, options, OnReceipt, _outboxChanged.Set);
        _manifests = new ManifestCache(_connection, _outbox, options);
        _drain = Task.WhenAll(RunUntilStoppedAsync(_scans.RunAsync), RunUntilStoppedAsync(_proofs.RunAsync));
    }

    /// <summary>
    /// Raised when a queued proof changes status: <see cref="ProofStatus.Received"/> by the gateway, then
    /// <see cref="ProofStatus.Committed"/> or <see cref="ProofStatus.Rejected"/>. Raised on a background thread.
    /// </summary>
    public event EventHandler<ProofReceipt>? ReceiptReceived;

    /// <summary>Raised on a background thread when the gateway refuses a queued scan for good.</summary>
    public event EventHandler<RejectedScan>? ScanRejected;

    /// <summary>
    /// Raised when an outbox file could not be opened (changed on the disk, cut short, swapped with another): it was
    /// moved aside, unused, and what it held will not be delivered. Files found before the first handler was attached
    /// are told to that handler when it is. Raised on the thread that found the file.
    /// </summary>
    public event EventHandler<DamagedOutboxFile>? OutboxFileDamaged
    {
        add => _damaged.Add(value);
        remove => _damaged.Remove(value);
    }

    /// <summary>
    /// Uploads a photo file now, resuming after every cut until it is stored, the attempts
    /// (<see cref="EdgeClientOptions.MaxUploadAttempts"/>) run out, or <paramref name="cancellationToken"/> fires. A
    /// photo the gateway already holds is not sent again. An upload cut short (even by an app restart) resumes from the
    /// gateway's last durable byte when the same photo is uploaded again.
    /// </summary>
    /// <param name="path">The photo (JPEG, PNG or HEIC). It must not change while it uploads.</param>
    /// <param name="progress">Told the durable byte count after every acknowledgement; may be null.</param>
    /// <param name="cancellationToken">Stops the upload; what the gateway acknowledged is kept for a later resume.</param>
    /// <returns>What the gateway stored, with its verdict on the photo.</returns>
    /// <exception cref="PhotoRejectedException">
    /// The gateway refused the photo as it is (<see cref="PhotoRejectedException.Reason"/> says why: not a photo, too
    /// many pixels or bytes, damaged); take it again.
    /// </exception>
    /// <exception cref="Grpc.Core.RpcException">The last attempt failed.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027", Justification = "Both overloads take the same parameters; the file one is the common call.")]
    public async Task<UploadedPhoto> UploadPhotoAsync(string path, IProgress<UploadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var cancel = Link(cancellationToken);
        var photo = await PhotoFile.ReadAsync(path, cancel.Token).ConfigureAwait(false);
        return await _uploader.UploadAsync(photo, progress, _options.MaxUploadAttempts, cancel.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads a photo from a stream (read to its end first into the outbox, so a resume can re-read it). Otherwise as
    /// <see cref="UploadPhotoAsync(string, IProgress{UploadProgress}?, CancellationToken)"/>.
    /// </summary>
    /// <param name="photo">The photo's bytes (JPEG, PNG or HEIC).</param>
    /// <param name="progress">Told the durable byte count after every acknowledgement; may be null.</param>
    /// <param name="cancellationToken">Stops the upload.</param>
    /// <returns>What the gateway stored, with its verdict on the photo.</returns>
    /// <exception cref="PhotoRejectedException">The gateway refused the photo as it is; take it again.</exception>
    public async Task<UploadedPhoto> UploadPhotoAsync(Stream photo, IProgress<UploadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(photo);
        using var cancel = Link(cancellationToken);
        var digest = await _outbox.ImportPhotoAsync(photo, cancel.Token).ConfigureAwait(false);
        try
        {
            var file = await _outbox.ReadPhotoAsync(digest, cancel.Token).ConfigureAwait(false);
            return await _uploader.UploadAsync(file, progress, _options.MaxUploadAttempts, cancel.Token).ConfigureAwait(false);
        }
        finally
        {
            _outbox.UnpinPhoto(digest);
        }
    }

    /// <summary>
    /// Queues a scan in the outbox and returns once it is on the device's disk; it is sent in the background, batched
    /// with others, and stays queued until the gateway accepts it (or already had it).
    /// </summary>
    /// <param name="scan">The scan.</param>
    /// <param name="cancellationToken">Stops the call before the scan is queued.</param>
    /// <returns>The scan's event id (its idempotency key).</returns>
    public Task<string> RecordScanAsync(Scan scan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentException.ThrowIfNullOrEmpty(scan.Barcode, nameof(scan));
        cancellationToken.ThrowIfCancellationRequested();
        var queued = _outbox.AddScan(new V1.ScanEvent
        {
            Barcode = scan.Barcode,
            PackageId = scan.PackageId,
            RouteId = scan.RouteId,
            StopId = scan.StopId,
            Type = (V1.ScanType)scan.Type,
            ScannedAt = Timestamp.FromDateTimeOffset(scan.ScannedAt ?? _options.TimeProvider.GetUtcNow()),
            Location = ToProto(scan.Location),
            ExceptionCode = scan.ExceptionCode,
        });
        _scans.Queued();
        _outboxChanged.Set();
        return Task.FromResult(queued.EventId);
    }

    /// <summary>
    /// Queues a proof of delivery in the outbox, with copies of its photos, and returns once it is on the device's
    /// disk. In the background the photos are uploaded, then the proof is submitted; it stays queued until the core
    /// commits it. Follow it with <see cref="ReceiptReceived"/> or <see cref="ReadReceiptsAsync"/>.
    /// </summary>
    /// <param name="proof">The proof.</param>
    /// <param name="cancellationToken">Stops the call before the proof is queued.</param>
    /// <returns>The proof's id.</returns>
    public async Task<string> SubmitProofAsync(ProofOfDelivery proof, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proof);
        ArgumentException.ThrowIfNullOrEmpty(proof.RouteId, nameof(proof));
        ArgumentException.ThrowIfNullOrEmpty(proof.StopId, nameof(proof));
        if (proof.PackageIds is not { Count: > 0 })
        {
            throw new ArgumentException("A proof names at least one package.", nameof(proof));
        }

        var digests = new List<string>();
        var originals = new List<OriginalPhoto>();
        try
        {
            foreach (var path in proof.PhotoPaths)
            {
                await using var photo = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                var digest = await _outbox.ImportPhotoAsync(photo, cancellationToken).ConfigureAwait(false);
                digests.Add(digest);
                originals.Add(new OriginalPhoto(Path.GetFullPath(path), digest));
            }

            var request = new V1.SubmitProofRequest
            {
                ProofId = $"p-{Guid.NewGuid():N}",
                RouteId = proof.RouteId,
                StopId = proof.StopId,
                PackageIds = { proof.PackageIds },
                DeliveredAt = Timestamp.FromDateTimeOffset(proof.DeliveredAt ?? _options.TimeProvider.GetUtcNow()),
                Location = ToProto(proof.Location),
                PlaceLeft = (V1.PlaceLeft)proof.PlaceLeft,
                PhotoSha256 = { digests.Distinct(StringComparer.Ordinal) },
                Note = proof.Note,
            };
            _outbox.AddProof(new QueuedProof(request, originals), _options.TimeProvider.GetUtcNow());
            _proofs.Queued();
            _outboxChanged.Set();
            return request.ProofId;
        }
        finally
        {
            foreach (var digest in digests)
            {
                _outbox.UnpinPhoto(digest);
            }
        }
    }

    /// <summary>The receipts of queued proofs from now on, as <see cref="ReceiptReceived"/> reports them.</summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>Receipts, until cancelled.</returns>
    public async IAsyncEnumerable<ProofReceipt> ReadReceiptsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var receipts = Channel.CreateUnbounded<ProofReceipt>();
        void Forward(object? sender, ProofReceipt receipt) => receipts.Writer.TryWrite(receipt);
        ReceiptReceived += Forward;
        try
        {
            await foreach (var receipt in receipts.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return receipt;
            }
        }
        finally
        {
            ReceiptReceived -= Forward;
        }
    }

    /// <summary>What the outbox holds now.</summary>
    /// <returns>Counts of queued scans, proofs and photo copies.</returns>
    public OutboxStatus GetOutboxStatus() => _outbox.Status();

    /// <summary>
    /// Waits until every queued scan is answered and every queued proof committed or rejected (for example before
    /// the driver signs off). Delivery goes on in the background either way.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the outbox holds no scan and no proof.</returns>
    public async Task FlushOutboxAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var changed = _outboxChanged.WaitAsync();
            if (_outbox.Status() is { Scans: 0, Proofs: 0 })
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The route's manifest: the gateway's current version, or the device's cached copy (marked
    /// <see cref="RouteManifest.IsStale"/>) when the gateway cannot be reached. Only changed manifests cross the link.
    /// </summary>
    /// <param name="routeId">A route the device's token names.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="Grpc.Core.RpcException">No cached copy and the gateway could not be reached, or it refused.</exception>
    public Task<RouteManifest> GetManifestAsync(string routeId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(routeId);
        return _manifests.GetAsync(routeId, cancellationToken);
    }

    /// <summary>
    /// The route's manifest as it changes: first the cached copy (if any), then each newer version the gateway
    /// publishes. Reconnects after every cut, with backoff, asking from the newest version it has.
    /// </summary>
    /// <param name="routeId">A route the device's token names.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>Manifests, newest last, until cancelled.</returns>
    public IAsyncEnumerable<RouteManifest> WatchManifestAsync(string routeId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(routeId);
        return _manifests.WatchAsync(routeId, cancellationToken);
    }

    /// <summary>
    /// Tell the client the device's network changed (Wi-Fi to cellular, a new cell, airplane mode off). It drops the
    /// current connection at once, so calls that were on the old link resume on a new one instead of waiting for the
    /// dead link to time out, and retries waiting on a backoff go at once.
    /// </summary>
    public void NotifyNetworkChanged()
    {
        _sizer.Reset();
        _windows.Reset();
        _connection.Reset();
    }

    /// <summary>Stops delivery and closes the connection. What is queued stays in the outbox for the next client.</summary>
    /// <returns>A task that completes when the background work has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _drain.ConfigureAwait(false);

        _connection.Dispose();
        _outbox.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Runs a delivery loop until the client stops; the call it was in ends however the transport reports it.</summary>
    private async Task RunUntilStoppedAsync(Func<CancellationToken, Task> loop)
    {
        try
        {
            await Task.Run(() => loop(_stopping.Token)).ConfigureAwait(false);
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private CancellationTokenSource Link(CancellationToken cancellationToken)
        => CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);

    private void OnReceipt(ProofReceipt receipt) => ReceiptReceived?.Invoke(this, receipt);

    private void OnScanRejected(RejectedScan scan) => ScanRejected?.Invoke(this, scan);

    private static V1.DeviceLocation? ToProto(DeviceLocation? location) => location is null
        ? null
        : new V1.DeviceLocation { Latitude = location.Latitude, Longitude = location.Longitude, AccuracyMeters = location.AccuracyMeters };
}
