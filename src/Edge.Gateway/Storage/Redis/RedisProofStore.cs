using Edge.Gateway.Forwarding;
using Edge.Gateway.Proofs;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Proofs in Redis: a hash per proof, a sorted set per device for receipt replays, the proof outbox stream and photo
/// reference counts, each change one script so it is atomic across replicas.
/// </summary>
internal sealed class RedisProofStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ForwardingOptions> options) : IProofStore
{
    // KEYS[1] proof, KEYS[2] outbox, KEYS[3] device receipts, KEYS[4] device's blobs, KEYS[5] unclaimed blobs,
    // KEYS[5+i] blob refs i. ARGV: device, receipt, request, now ms, proof id, photo digests (comma-separated).
    private const string AddScript = RedisOutbox.AppendFunction + """
        if redis.call('EXISTS', KEYS[1]) == 1 then
          return {0, redis.call('HGET', KEYS[1], 'd'), redis.call('HGET', KEYS[1], 'r'), redis.call('HGET', KEYS[1], 'q'), redis.call('HGET', KEYS[1], 'ph')}
        end
        local digests = {}
        for sha in string.gmatch(ARGV[6], '[^,]+') do table.insert(digests, sha) end
        for i, sha in ipairs(digests) do
          if redis.call('SISMEMBER', KEYS[4], sha) == 0 then return {2, i} end
        end
        for i, sha in ipairs(digests) do
          redis.call('HINCRBY', KEYS[5 + i], 'pending', 1)
          redis.call('ZREM', KEYS[5], sha)
        end
        redis.call('HSET', KEYS[1], 'd', ARGV[1], 'r', ARGV[2], 'q', ARGV[3], 'ph', ARGV[6])
        redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
        outbox_append(KEYS[2], ARGV[5], '', ARGV[4])
        return {1}
        """;

    // KEYS[1] proof, KEYS[2] device receipts, KEYS[3] releasable set.
    // ARGV: receipt, now ms, proof id, final (1/0), blob refs prefix, retention ms.
    private const string SetReceiptScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], 'r', ARGV[1])
        redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[6]))
        if ARGV[4] == '1' then
          if redis.call('HGET', KEYS[1], 'rel') ~= '1' then
            local ph = redis.call('HGET', KEYS[1], 'ph')
            if ph then
              for sha in string.gmatch(ph, '[^,]+') do
                redis.call('HINCRBY', ARGV[5] .. sha, 'pending', -1)
                redis.call('HSET', ARGV[5] .. sha, 'done', ARGV[2])
                redis.call('ZADD', KEYS[3], ARGV[2], sha)
              end
            end
            redis.call('HSET', KEYS[1], 'rel', '1')
          end
          redis.call('PEXPIRE', KEYS[1], ARGV[6])
        end
        return 1
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<ProofAddResult> AddAsync(ProofRecord record, CancellationToken cancellationToken)
    {
        var proofId = record.Receipt.ProofId;
        var digests = record.PhotoDigests;
        var keyList = new List<RedisKey>
        {
            keys.Proof(proofId), keys.Outbox(OutboxLane.Proofs), keys.DeviceReceipts(record.DeviceId), keys.DeviceBlobs(record.DeviceId), keys.BlobsUnclaimed,
        };
        keyList.AddRange(digests.Select(d => keys.BlobRefs(d)));
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(AddScript, [.. keyList],
        [
            record.DeviceId, ProofRecordCodec.Encode(record.Receipt), ProofRecordCodec.Encode(record.Proof),
            record.Receipt.UpdatedAt.ToUnixTimeMilliseconds(), proofId, string.Join(',', digests),
        ]))!;
        return (long)result[0] switch
        {
            1 => new ProofAddResult(ProofAddOutcome.Added),
            2 => new ProofAddResult(ProofAddOutcome.PhotoMissing, MissingDigest: digests[(int)(long)result[1] - 1]),
            _ => new ProofAddResult(ProofAddOutcome.Exists, Existing: Map((string)result[1]!, (byte[])result[2]!, (byte[])result[3]!, (string?)result[4])),
        };
    }

    public async Task<ProofRecord?> GetAsync(string proofId, CancellationToken cancellationToken)
    {
        var values = await Db.HashGetAsync(keys.Proof(proofId), ["d", "r", "q", "ph"]);
        return values[0].IsNull ? null : Map((string)values[0]!, (byte[])values[1]!, (byte[])values[2]!, (string?)values[3]);
    }

    public async Task<bool> SetReceiptAsync(string proofId, ReceiptRecord receipt, CancellationToken cancellationToken)
    {
        var device = await Db.HashGetAsync(keys.Proof(proofId), "d");
        if (device.IsNull)
        {
            return false;
        }

        var final = receipt.IsFinal;
        var result = await Db.ScriptEvaluateAsync(SetReceiptScript,
            [keys.Proof(proofId), keys.DeviceReceipts((string)device!), keys.BlobsReleasable],
            [
                ProofRecordCodec.Encode(receipt), receipt.UpdatedAt.ToUnixTimeMilliseconds(), proofId, final ? "1" : "0",
                keys.BlobRefsPrefix, (long)options.Value.DedupeRetention.TotalMilliseconds,
            ]);
        return (long)result == 1;
    }

    public async Task<IReadOnlyList<ReceiptRecord>> ListChangedSinceAsync(string deviceId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var ids = await Db.SortedSetRangeByScoreAsync(keys.DeviceReceipts(deviceId), since.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start);
        var receipts = new List<ReceiptRecord>(ids.Length);
        foreach (var id in ids)
        {
            var value = await Db.HashGetAsync(keys.Proof((string)id!), "r");
            if (!value.IsNull)
            {
                receipts.Add(ProofRecordCodec.DecodeReceipt((byte[])value!));
            }
        }

        return receipts;
    }

    private static ProofRecord Map(string device, byte[] receipt, byte[] proof, string? photos)
        => new(device, ProofRecordCodec.DecodeReceipt(receipt), ProofRecordCodec.DecodeProof(proof),
            string.IsNullOrEmpty(photos) ? [] : photos.Split(','));
}
