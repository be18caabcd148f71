using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Every Redis key the gateway uses, under one configurable prefix. Values stay small: photo bytes never go to Redis.
/// </summary>
internal sealed class RedisKeys(IOptions<EdgeOptions> options)
{
    private readonly string _prefix = options.Value.RedisKeyPrefix;

    /// <summary>Hash with one upload session's fields.</summary>
    public RedisKey Upload(string uploadId) => _prefix + "upload:" + uploadId;

    /// <summary>Sorted set of upload ids by last touch (ms), for the sweeper.</summary>
    public RedisKey UploadsByTouch => _prefix + "uploads:touched";

    /// <summary>Sorted set of unfinished upload ids that hold every byte, by last touch (ms), for the sweeper.</summary>
    public RedisKey UploadsFullyReceived => _prefix + "uploads:received";

    /// <summary>Sorted set of a device's upload ids by writer lease expiry (ms).</summary>
    public RedisKey DeviceWriters(string deviceId) => _prefix + "device:" + deviceId + ":writers";

    /// <summary>Hash of a device's unfinished upload ids with their declared sizes (its staging budget).</summary>
    public RedisKey DeviceUnfinished(string deviceId) => _prefix + "device:" + deviceId + ":unfinished";

    /// <summary>Sorted set of upload ids that have received no byte yet, by creation (ms), for the sweeper.</summary>
    public RedisKey UploadsEmpty => _prefix + "uploads:empty";

    /// <summary>Hash with a device's token bucket for one rate (tokens, at).</summary>
    public RedisKey DeviceRate(string deviceId, string rate) => _prefix + "device:" + deviceId + ":rate:" + rate;

    /// <summary>Counter of the declared bytes of unfinished uploads.</summary>
    public RedisKey StagingReserved => _prefix + "staging:reserved";

    /// <summary>A stored blob's record, by the device's digest.</summary>
    public RedisKey Blob(string sha256) => _prefix + "blob:" + sha256;

    /// <summary>Set of the devices that hold a digest.</summary>
    public RedisKey BlobOwners(string sha256) => _prefix + "blobowners:" + sha256;

    /// <summary>Set of the digests a device holds.</summary>
    public RedisKey DeviceBlobs(string deviceId) => _prefix + "device:" + deviceId + ":blobs";

    /// <summary>Prefix of <see cref="DeviceBlobs"/> (followed by the device id and <c>:blobs</c>), for scripts.</summary>
    public string DevicePrefix => _prefix + "device:";

    /// <summary>Counter of the records that name a stored file (object or thumbnail).</summary>
    public RedisKey BlobFile(string storedSha256) => _prefix + "file:" + storedSha256;

    /// <summary>Prefix of <see cref="BlobFile"/>, for scripts.</summary>
    public string BlobFilePrefix => _prefix + "file:";

    /// <summary>Sorted set of digests no proof has named yet, by the time they were last uploaded (ms).</summary>
    public RedisKey BlobsUnclaimed => _prefix + "blobs:unclaimed";

    /// <summary>Prefix (the whole prefix) for keys built inside Lua scripts.</summary>
    public string Prefix => _prefix;

    /// <summary>Hash of revoked tokens and devices (<see cref="RedisRevocationStore"/>).</summary>
    public RedisKey Revocations => _prefix + "revocations";

    /// <summary>A taken scan event id (value: the owner device id), expiring after the dedupe window.</summary>
    public RedisKey ScanEvent(string eventId) => _prefix + "scan:" + eventId;

    /// <summary>Stream of entries waiting for the core, one per lane; consumer group <see cref="ForwarderGroup"/>.</summary>
    public RedisKey Outbox(Forwarding.OutboxLane lane) => _prefix + (lane == Forwarding.OutboxLane.Scans ? "outbox:scans" : "outbox:proofs");

    /// <summary>The consumer group of the gateway's forwarders on each outbox stream.</summary>
    public const string ForwarderGroup = "forwarders";

    /// <summary>A replica id's lease: the process that uses the id as its forwarders' consumer name (short expiry, renewed).</summary>
    public RedisKey ReplicaLease(string replicaId) => _prefix + "replica:" + replicaId;

    /// <summary>Hash of one proof: device (d), receipt (r), core request (q), photo digests (ph), released flag (rel).</summary>
    public RedisKey Proof(string proofId) => _prefix + "proof:" + proofId;

    /// <summary>Sorted set of a device's proof ids by last receipt change (ms), for <c>WatchReceipts</c> replays.</summary>
    public RedisKey DeviceReceipts(string deviceId) => _prefix + "device:" + deviceId + ":receipts";

    /// <summary>Hash of a photo's references: proofs not yet final (pending) and when the last became final (done, ms).</summary>
    public RedisKey BlobRefs(string sha256) => _prefix + "blobref:" + sha256;

    /// <summary>Prefix of <see cref="BlobRefs"/>, for scripts.</summary>
    public string BlobRefsPrefix => _prefix + "blobref:";

    /// <summary>Sorted set of device digests by the time their last proof became final (ms).</summary>
    public RedisKey BlobsReleasable => _prefix + "blobs:releasable";

    /// <summary>Hash of dead letters by id.</summary>
    public RedisKey DeadLetters => _prefix + "deadletters";

    /// <summary>Pub/sub channel of receipt changes.</summary>
    public RedisChannel Receipts => RedisChannel.Literal(_prefix + "receipts");
}
