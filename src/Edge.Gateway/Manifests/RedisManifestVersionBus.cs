using System.Globalization;
using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Manifests;

/// <summary>
/// Redis pub/sub on <c>{prefix}manifest:versions</c>; a message is <c>{version} {routeId}</c>. Announcements are
/// idempotent (a replica acts only on a version newer than it knows), so duplicates from several replicas are harmless.
/// </summary>
internal sealed class RedisManifestVersionBus(IConnectionMultiplexer redis, IOptions<EdgeOptions> edge, ILogger<RedisManifestVersionBus> logger) : IManifestVersionBus
{
    private readonly RedisChannel _channel = RedisChannel.Literal(edge.Value.RedisKeyPrefix + "manifest:versions");

    public async ValueTask PublishAsync(string routeId, long version, CancellationToken cancellationToken)
        => await redis.GetSubscriber().PublishAsync(_channel, string.Create(CultureInfo.InvariantCulture, $"{version} {routeId}"));

    public async ValueTask SubscribeAsync(Func<string, long, Task> handler, CancellationToken cancellationToken)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(_channel);
        queue.OnMessage(async message =>
        {
            var text = (string?)message.Message;
            var space = text?.IndexOf(' ', StringComparison.Ordinal) ?? -1;
            if (space <= 0 || !long.TryParse(text.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                return;
            }

            try
            {
                await handler(text![(space + 1)..], version);
            }
            catch (Exception e)
            {
                ManifestLog.AnnouncementFailed(logger, e);
            }
        });
        cancellationToken.Register(() => queue.Unsubscribe());
    }
}
