using System.Diagnostics;
using System.Globalization;
using Edge.Gateway.Hosting;
using Edge.Gateway.Proofs.Reuse;
using Edge.Gateway.Storage.Sqlite;
using HdrHistogram;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.LoadTest.Reuse;

/// <summary>
/// The photo reuse index at scale, in-process against the gateway's own implementations: fills it with --prints
/// prints (a month of proofs, random 64-bit hashes), then times lookups (half of them near a stored print, half of
/// them new photos) and single-proof adds, and reports the storage each million prints takes: the SQLite state file
/// in embedded mode, Redis used_memory in Redis mode.
/// </summary>
internal static class ReuseIndexScenario
{
    public const string Name = "reuse-index";

    private const int FillBatch = 5000;

    public static async Task<BenchmarkReport> RunAsync(ScenarioArguments arguments)
    {
        var prints = arguments.Int("prints", 1_000_000);
        var lookups = arguments.Int("lookups", 20_000);
        var redisAddress = arguments.String("redis");
        var defaults = new PhotoReuseOptions();
        var reuse = new PhotoReuseOptions
        {
            MaxDistance = arguments.Int("max-distance", defaults.MaxDistance),
            IndexBands = arguments.Int("bands", defaults.IndexBands),
        };
        if (prints < 1000 || lookups < 100 || reuse.MaxDistance is < 0 or > 12 || reuse.IndexBands is < 1 or > 16 || reuse.MaxDistance / reuse.IndexBands > 2)
        {
            throw new ArgumentException("--prints must be at least 1000, --lookups at least 100, --max-distance 0-12, --bands 1-16 with max-distance / bands at most 2");
        }

        var directory = arguments.String("data") ?? Directory.CreateTempSubdirectory("edge-loadtest-reuse-index-").FullName;
        var edge = new EdgeOptions { DataDirectory = directory, RedisKeyPrefix = $"bench{Guid.NewGuid():N}:" };
        var now = DateTimeOffset.UtcNow;
        using var redis = redisAddress is null ? null : await ConnectionMultiplexer.ConnectAsync(redisAddress + ",allowAdmin=true");
        var database = redisAddress is null ? new SqliteDatabase(Options.Create(edge)) : null;
        IPhotoPrintIndex index = redis is null
            ? new SqlitePhotoPrintIndex(database!, Options.Create(reuse))
            : new RedisPhotoPrintIndex(redis, Options.Create(edge), Options.Create(reuse), TimeProvider.System);
        var bands = new HashBands(reuse.MaxDistance, reuse.IndexBands);

        var report = new BenchmarkReport(Name);
        report.Parameters["state"] = redis is null ? "embedded (SQLite)" : "redis";
        report.Parameters["prints"] = prints.ToString(CultureInfo.InvariantCulture);
        report.Parameters["max distance"] = reuse.MaxDistance.ToString(CultureInfo.InvariantCulture);
        report.Parameters["bands"] = $"{bands.Count} of {bands.NarrowestBits}{(64 % bands.Count == 0 ? "" : $"-{bands.NarrowestBits + 1}")} bits, radius {bands.Radius}, {bands.ProbesPerLookup} band values per lookup";
        report.Parameters["hashes"] = "uniform random 64-bit";
        try
        {
            var memoryBefore = redis is null ? 0 : UsedMemory(redis);
            var random = new Random(7);
            var stored = new ulong[prints];
            var fill = Stopwatch.StartNew();
            for (var start = 0; start < prints; start += FillBatch)
            {
                var batch = new List<PhotoPrint>(FillBatch);
                for (var i = start; i < Math.Min(prints, start + FillBatch); i++)
                {
                    stored[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
                    batch.Add(NewPrint(stored[i], i, now - (reuse.Window * (1 - ((double)i / prints)))));
                }

                await index.AddAsync(batch, CancellationToken.None);
                if (start / FillBatch % 40 == 0)
                {
                    Console.WriteLine($"  {start + batch.Count:N0} prints ({fill.Elapsed.TotalSeconds:0} s)");
                }
            }

            fill.Stop();
            report.Add("fill rate", prints / fill.Elapsed.TotalSeconds, "prints/s");
            var bytes = redis is null ? StateFileBytes(database!) : UsedMemory(redis) - memoryBefore;
            report.Add(redis is null ? "state file per million prints" : "Redis used_memory per million prints", bytes * (1_000_000.0 / prints) / (1024 * 1024), "MiB");
            report.Add("bytes per print", (double)bytes / prints, "By");

            var since = now - reuse.Window;
            var misses = new LongHistogram(TimeStamp.Seconds(10), 3);
            var hits = new LongHistogram(TimeStamp.Seconds(10), 3);
            var adds = new LongHistogram(TimeStamp.Seconds(10), 3);
            var found = 0;
            var cpu = TimeSpan.Zero;
            var addCpu = TimeSpan.Zero;
            for (var i = 0; i < lookups + 500; i++)
            {
                var near = i % 2 == 0;
                var hash = near ? Flip(stored[random.Next(prints)], random.Next(reuse.MaxDistance + 1), random) : (ulong)random.NextInt64();
                var cpuBefore = ProcessFigures.CpuTime();
                var started = Stopwatch.GetTimestamp();
                var matches = await index.FindAsync(hash, since, CancellationToken.None);
                var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                var cpuBetween = ProcessFigures.CpuTime();
                var addStarted = Stopwatch.GetTimestamp();
                await index.AddAsync([NewPrint(hash, prints + i, DateTimeOffset.UtcNow)], CancellationToken.None);
                var addElapsed = (long)Stopwatch.GetElapsedTime(addStarted).TotalMicroseconds;
                if (i >= 500)
                {
                    // The first 500 warm up connections, caches and the JIT.
                    (near ? hits : misses).RecordValue(elapsed);
                    adds.RecordValue(addElapsed);
                    found += near && matches.Count > 0 ? 1 : 0;
                    cpu += cpuBetween - cpuBefore;
                    addCpu += ProcessFigures.CpuTime() - cpuBetween;
                }
            }

            report.AddPercentiles("lookup, new photo", misses);
            report.AddPercentiles("lookup, near a stored print", hits);
            report.AddPercentiles("add one proof's print", adds);
            report.Add("CPU per lookup (this process)", cpu.TotalMilliseconds / lookups, "ms");
            report.Add("CPU per add (this process)", addCpu.TotalMilliseconds / lookups, "ms");
            report.Add("near lookups that found their print", 100.0 * found / hits.TotalCount, "%");
            report.Add("candidates per lookup (expected, uniform hashes)", bands.ProbesPerLookup * (double)prints / (1L << bands.NarrowestBits), "prints");
            return report;
        }
        finally
        {
            if (redis is not null)
            {
                var server = redis.GetServer(redis.GetEndPoints()[0]);
                foreach (var key in server.Keys(pattern: edge.RedisKeyPrefix + "*", pageSize: 10_000))
                {
                    await redis.GetDatabase().KeyDeleteAsync(key, CommandFlags.FireAndForget);
                }
            }

            if (arguments.String("data") is null)
            {
                SqliteConnection.ClearAllPools();
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static PhotoPrint NewPrint(ulong hash, int i, DateTimeOffset receivedAt)
        => new(hash, $"P-{i:00000000}-{i * 7919 % 100_000:00000}", $"device-{i % 5000:0000}", $"R-{i % 2000:0000}", $"R-{i % 2000:0000}-S{i % 150:000}",
            (hash * 0x9E37_79B9_7F4A_7C15).ToString("x16", CultureInfo.InvariantCulture), receivedAt);

    /// <summary><paramref name="hash"/> with <paramref name="bits"/> distinct bits flipped.</summary>
    private static ulong Flip(ulong hash, int bits, Random random)
    {
        var mask = 0UL;
        while (System.Numerics.BitOperations.PopCount(mask) < bits)
        {
            mask |= 1UL << random.Next(64);
        }

        return hash ^ mask;
    }

    private static long UsedMemory(ConnectionMultiplexer redis)
    {
        var info = redis.GetServer(redis.GetEndPoints()[0]).Info("memory").SelectMany(group => group).First(pair => pair.Key == "used_memory");
        return long.Parse(info.Value, CultureInfo.InvariantCulture);
    }

    private static long StateFileBytes(SqliteDatabase database)
    {
        using (var connection = database.Open())
        {
            SqliteDatabase.Execute(connection, null, "PRAGMA wal_checkpoint(TRUNCATE)");
        }

        return new FileInfo(database.FilePath).Length;
    }
}
