using System.Globalization;
using Edge.Gateway.Security;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Revoked tokens and devices in one Redis hash shared by every replica: field <c>t:&lt;jti&gt;</c> or
/// <c>d:&lt;device&gt;</c>, value <c>&lt;at ms&gt;:&lt;until ms&gt;</c>. A handful of entries, each dropped once expired.
/// </summary>
internal sealed class RedisRevocationStore(IConnectionMultiplexer redis, RedisKeys keys) : IRevocationStore
{
    public async Task AddAsync(Revocation revocation, CancellationToken cancellationToken)
    {
        var field = Field(revocation.Kind, revocation.Id);
        var database = redis.GetDatabase();
        var at = revocation.At.ToUnixTimeMilliseconds();
        var until = revocation.Until.ToUnixTimeMilliseconds();
        if (await database.HashGetAsync(keys.Revocations, field) is { HasValue: true } existing && Parse(existing!) is { } known)
        {
            at = Math.Max(at, known.At);
            until = Math.Max(until, known.Until);
        }

        await database.HashSetAsync(keys.Revocations, field, string.Create(CultureInfo.InvariantCulture, $"{at}:{until}"));
    }

    public async Task<IReadOnlyList<Revocation>> ListAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        var revocations = new List<Revocation>();
        var expired = new List<RedisValue>();
        foreach (var entry in await database.HashGetAllAsync(keys.Revocations))
        {
            var field = (string)entry.Name!;
            var times = Parse(entry.Value!);
            if (times is null || field.Length < 3 || (field[0] != 't' && field[0] != 'd'))
            {
                continue;
            }

            var until = DateTimeOffset.FromUnixTimeMilliseconds(times.Value.Until);
            if (until < now)
            {
                expired.Add(entry.Name);
                continue;
            }

            var kind = field[0] == 't' ? RevocationKind.Token : RevocationKind.Device;
            revocations.Add(new Revocation(kind, field[2..], DateTimeOffset.FromUnixTimeMilliseconds(times.Value.At), until));
        }

        if (expired.Count > 0)
        {
            await database.HashDeleteAsync(keys.Revocations, [.. expired]);
        }

        return revocations;
    }

    private static string Field(RevocationKind kind, string id) => (kind == RevocationKind.Token ? "t:" : "d:") + id;

    private static (long At, long Until)? Parse(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            && long.TryParse(value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var at)
            && long.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var until)
            ? (at, until)
            : null;
    }
}
