using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Proofs.Reuse;

/// <summary>
/// The reuse index in Redis, shared by every replica. One sorted set per band value (a lookup reads those of
/// <see cref="HashBands.Probes"/>)
/// (<c>{prefix}reuse:{bands}:{band}:{value}</c>) whose members are 18 bytes (the 8-byte hash and a 10-byte key of the
/// proof) scored by the time the proof was received; one small string per proof (<c>{prefix}reuse:proof:{key}</c>)
/// with its ids, read only for matches. Every key expires a window after its last write and each write trims its
/// sets of members older than the window, so memory is bounded by the prints of one window. No command spans two
/// keys, so the keys may live on any Redis Cluster node; commands go in pipelined batches (one round trip per lookup,
/// a second only when something matched).
/// </summary>
internal sealed class RedisPhotoPrintIndex(
    IConnectionMultiplexer redis,
    IOptions<EdgeOptions> edge,
    IOptions<PhotoReuseOptions> options,
    TimeProvider timeProvider) : IPhotoPrintIndex
{
    private const int ProofKeyBytes = 10;
    private const char Separator = '\u001f';

    private readonly HashBands _bands = new(options.Value.MaxDistance, options.Value.IndexBands);
    private readonly string _prefix = edge.Value.RedisKeyPrefix + "reuse:";
    private readonly int _limit = options.Value.MaxCandidatesPerBand;
    private readonly TimeSpan _window = options.Value.Window;

    public async Task<IReadOnlyList<PhotoPrintMatch>> FindAsync(ulong hash, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        var batch = database.CreateBatch();
        var lookups = _bands.Probes(hash).Select(probe => batch.SortedSetRangeByScoreAsync(BandKey(probe), since.ToUnixTimeMilliseconds(),
            double.PositiveInfinity, Exclude.None, Order.Descending, 0, _limit)).ToList();

        batch.Execute();
        var near = new Dictionary<string, (int Distance, ulong Hash)>(StringComparer.Ordinal);
        foreach (var entry in (await Task.WhenAll(lookups)).SelectMany(entries => entries))
        {
            var member = (byte[])entry!;
            var candidate = BinaryPrimitives.ReadUInt64BigEndian(member);
            var distance = HashBands.Distance(hash, candidate);
            if (distance > _bands.MaxDistance)
            {
                continue; // almost every candidate of a band lookup: no key text made for it
            }

            var proofKey = Convert.ToHexStringLower(member, 8, ProofKeyBytes);
            if (!near.TryGetValue(proofKey, out var known) || known.Distance > distance)
            {
                near[proofKey] = (distance, candidate);
            }
        }

        if (near.Count == 0)
        {
            return [];
        }

        batch = database.CreateBatch();
        var details = near.Select(pair => (pair.Value, Task: batch.StringGetAsync(_prefix + "proof:" + pair.Key))).ToList();
        batch.Execute();
        var matches = new List<PhotoPrintMatch>(details.Count);
        foreach (var (value, task) in details)
        {
            if (Parse(await task, value.Hash) is { } print && print.ReceivedAt >= since)
            {
                matches.Add(new PhotoPrintMatch(print, value.Distance));
            }
        }

        matches.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : b.Print.ReceivedAt.CompareTo(a.Print.ReceivedAt));
        return matches;
    }

    public async Task AddAsync(IReadOnlyList<PhotoPrint> prints, CancellationToken cancellationToken)
    {
        if (prints.Count == 0)
        {
            return;
        }

        var database = redis.GetDatabase();
        var batch = database.CreateBatch();
        var writes = new List<Task>();

        // Keys live a window past the latest print written to them (plus a day, since the proof's time is the
        // gateway's clock and Redis counts by its own); members older than the window are trimmed here and never read.
        var expiry = _window + TimeSpan.FromDays(1);
        var cutoff = (timeProvider.GetUtcNow() - _window).ToUnixTimeMilliseconds();
        foreach (var proof in prints.GroupBy(p => (p.ProofId, p.DeviceId)))
        {
            var first = proof.First();
            var proofKey = ProofKey(first);
            writes.Add(batch.StringSetAsync(_prefix + "proof:" + Convert.ToHexStringLower(proofKey), Format(first), expiry));
            foreach (var print in proof)
            {
                var member = new byte[8 + ProofKeyBytes];
                BinaryPrimitives.WriteUInt64BigEndian(member, print.Hash);
                proofKey.CopyTo(member, 8);
                foreach (var bandKey in _bands.Keys(print.Hash))
                {
                    var key = BandKey(bandKey);
                    writes.Add(batch.SortedSetAddAsync(key, member, print.ReceivedAt.ToUnixTimeMilliseconds()));
                    writes.Add(batch.KeyExpireAsync(key, expiry));
                    writes.Add(batch.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, cutoff, Exclude.Stop));
                }
            }
        }

        batch.Execute();
        await Task.WhenAll(writes);
    }

    /// <summary>Nothing to do: each write trims its sets and every key expires on its own.</summary>
    public Task<int> RemoveExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken) => Task.FromResult(0);

    private RedisKey BandKey(long key)
    {
        var (band, value) = HashBands.Split(key);
        return $"{_prefix}{_bands.Count}:{band}:{value:x}";
    }

    /// <summary>A fixed-size key of the proof: the first bytes of SHA-256 over device and proof id.</summary>
    private static byte[] ProofKey(PhotoPrint print)
        => SHA256.HashData(Encoding.UTF8.GetBytes(print.DeviceId + "\n" + print.ProofId)).AsSpan(0, ProofKeyBytes).ToArray();

    private static string Format(PhotoPrint print)
        => string.Join(Separator, print.ProofId, print.DeviceId, print.RouteId, print.StopId, print.Place,
            print.ReceivedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static PhotoPrint? Parse(RedisValue value, ulong hash)
    {
        if (value.IsNullOrEmpty)
        {
            return null;
        }

        var fields = ((string)value!).Split(Separator);
        return fields.Length == 6 && long.TryParse(fields[5], System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? new PhotoPrint(hash, fields[0], fields[1], fields[2], fields[3], fields[4], DateTimeOffset.FromUnixTimeMilliseconds(ms))
            : null;
    }
}
