namespace Edge.Client;

/// <summary>Settings of an <see cref="EdgeClient"/>. The defaults suit a handheld on a cellular link.</summary>
public sealed class EdgeClientOptions
{
    /// <summary>
    /// The gateway's address, e.g. <c>https://edge.example.net</c>. Required. An <c>http://</c> address is refused
    /// unless <see cref="AllowTokenOverCleartext"/> is set: the device token would travel readable.
    /// </summary>
    public Uri? GatewayAddress { get; set; }

    /// <summary>
    /// Lets the client send the device token to an <c>http://</c> (cleartext) gateway address, where anyone on the path
    /// can read and replay it: for a gateway on the same host, a local development run or a test. Default: false.
    /// </summary>
    public bool AllowTokenOverCleartext { get; set; }

    /// <summary>
    /// Returns the device token (a JWT, without the <c>Bearer</c> prefix) for each call. Called once per call, so it
    /// can hand out a refreshed token. Required.
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? TokenProvider { get; set; }

    /// <summary>
    /// Directory on the device's own storage where queued scans, proofs and their photos, the manifest cache and the
    /// installation id are kept. A new client on the same directory (after an app restart) picks up where the last
    /// one stopped. Required.
    /// </summary>
    public string? OutboxDirectory { get; set; }

    /// <summary>
    /// The 32-byte AES-256 key the outbox is encrypted with (AES-GCM, a random nonce per write, each file bound to its
    /// name). Required unless <see cref="UnencryptedOutbox"/> is set. Make it once per installation with
    /// <see cref="System.Security.Cryptography.RandomNumberGenerator"/> and keep it in the platform's key store (the
    /// Android Keystore, the iOS Keychain; see the README), never next to the outbox. The same key must be given on
    /// every start: a client given another key refuses to open the outbox (nothing in it is read or changed).
    /// Default: none.
    /// </summary>
    public byte[]? OutboxKey { get; set; }

    /// <summary>
    /// Keep the outbox unencrypted (queued proofs, photos with their GPS, customer addresses in cached manifests,
    /// readable by anyone who can read the app's files). Only for devices whose whole storage is encrypted and
    /// managed, and for tests. An outbox is encrypted or not for its whole life. Default: false.
    /// </summary>
    public bool UnencryptedOutbox { get; set; }

    /// <summary>
    /// Keep the photo files given in <see cref="ProofOfDelivery.PhotoPaths"/> after the core committed their proof.
    /// By default they are deleted then, so the device no longer holds a delivery photo once it is delivered.
    /// Default: false.
    /// </summary>
    public bool KeepOriginalPhotos { get; set; }

    /// <summary>
    /// Chunk size until the client has measured the link's delivery rate (about a second into the first upload); after
    /// that a chunk is what the link delivers in 75 ms, within <see cref="MinChunkBytes"/> and
    /// <see cref="MaxChunkBytes"/>. Default: 16384 (16 KiB).
    /// </summary>
    public int InitialChunkBytes { get; set; } = 16 * 1024;

    /// <summary>Smallest chunk the client shrinks to on a slow link, in bytes. Default: 4096 (4 KiB).</summary>
    public int MinChunkBytes { get; set; } = 4 * 1024;

    /// <summary>Largest chunk the client grows to on a fast link, in bytes. Default: 262144 (256 KiB).</summary>
    public int MaxChunkBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Most bytes sent but not yet acknowledged as durable by the gateway; the sender waits for an acknowledgement
    /// beyond it, so a cut link never has more than this on the way. Within it the SDK keeps what the link needs: the
    /// delivery rate it measures from acknowledgements times two of the shortest round trips, in whole chunks, plus two
    /// chunks (ten 8 KiB chunks on a 1 Mbit/s, 200 ms round-trip link); more only queues bytes below the SDK. Until it
    /// has measured, and on fast links, this maximum applies. At least two chunks are always allowed.
    /// Default: 262144 (256 KiB).
    /// </summary>
    public int MaxUnacknowledgedBytes { get; set; } = 256 * 1024;

    /// <summary>Deadline of one attempt of a call (one upload stream, one batch of scans, one proof). Default: 2 minutes.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How many attempts <see cref="EdgeClient.UploadPhotoAsync(string, IProgress{UploadProgress}?, CancellationToken)"/>
    /// makes before it gives up with the last error. The outbox retries without limit. Default: 10.
    /// </summary>
    public int MaxUploadAttempts { get; set; } = 10;

    /// <summary>
    /// First retry delay; each failure doubles it up to <see cref="MaxBackoff"/>, with full jitter. For 3 seconds after
    /// an upload's connection broke while it was carrying bytes (a cut), uploads retry every 100-150 ms instead and
    /// connection attempts overlap. Default: 250 ms.
    /// </summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest retry delay. Default: 30 seconds.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most scans sent in one batch. Default: 20.</summary>
    public int ScanBatchSize { get; set; } = 20;

    /// <summary>How long a recorded scan waits for others to join its batch. Default: 200 ms.</summary>
    public TimeSpan ScanLinger { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How often the status of proofs the gateway has received but the core has not yet committed is asked for, in
    /// case a receipt was missed while the receipt stream was down. Default: 30 seconds.
    /// </summary>
    public TimeSpan ReceiptPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Idle time after which the connection is probed with an HTTP/2 PING. Default: 15 seconds.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a PING may go unanswered before the connection is dropped as dead. Default: 10 seconds.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of opening a TCP (and TLS) connection to the gateway. Default: 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Clock and timers of the client. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (GatewayAddress is null)
        {
            throw new ArgumentException("GatewayAddress is required.", nameof(GatewayAddress));
        }

        if (GatewayAddress.Scheme != Uri.UriSchemeHttps && !(GatewayAddress.Scheme == Uri.UriSchemeHttp && AllowTokenOverCleartext))
        {
            throw new ArgumentException(GatewayAddress.Scheme == Uri.UriSchemeHttp
                ? $"GatewayAddress {GatewayAddress} is http://: the device token would travel in cleartext. Use https://, or set AllowTokenOverCleartext for a gateway on this host or a test."
                : $"GatewayAddress {GatewayAddress} must be https:// (or http:// with AllowTokenOverCleartext).", nameof(GatewayAddress));
        }

        if (TokenProvider is null)
        {
            throw new ArgumentException("TokenProvider is required.", nameof(TokenProvider));
        }

        if (string.IsNullOrWhiteSpace(OutboxDirectory))
        {
            throw new ArgumentException("OutboxDirectory is required.", nameof(OutboxDirectory));
        }

        if (OutboxKey is null && !UnencryptedOutbox)
        {
            throw new ArgumentException("OutboxKey is required (or set UnencryptedOutbox to keep the outbox unencrypted).", nameof(OutboxKey));
        }

        if (OutboxKey is not null && OutboxKey.Length != 32)
        {
            throw new ArgumentException("OutboxKey must be 32 bytes (AES-256).", nameof(OutboxKey));
        }

        if (OutboxKey is not null && UnencryptedOutbox)
        {
            throw new ArgumentException("Give either OutboxKey or UnencryptedOutbox, not both.", nameof(UnencryptedOutbox));
        }

        if (MinChunkBytes < 1 || MinChunkBytes > InitialChunkBytes || InitialChunkBytes > MaxChunkBytes)
        {
            throw new ArgumentException("Chunk sizes must satisfy 0 < MinChunkBytes <= InitialChunkBytes <= MaxChunkBytes.", nameof(InitialChunkBytes));
        }

        if (ScanBatchSize is < 1 or > 500)
        {
            throw new ArgumentException("ScanBatchSize must be 1 to 500.", nameof(ScanBatchSize));
        }

        if (MaxUploadAttempts < 1)
        {
            throw new ArgumentException("MaxUploadAttempts must be at least 1.", nameof(MaxUploadAttempts));
        }
    }
}
