using Edge.Gateway.Proofs;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Receipts over Redis pub/sub: every replica subscribes once to one channel and hands each message to its local
/// watchers of that device. A message lost while a watcher was disconnected is recovered by its <c>since</c> replay.
/// </summary>
internal sealed class RedisReceiptFeed(IConnectionMultiplexer redis, RedisKeys keys, LocalReceiptWatchers watchers) : IReceiptFeed, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _subscribed;

    public async Task PublishAsync(string deviceId, ReceiptRecord receipt, CancellationToken cancellationToken)
    {
        var device = System.Text.Encoding.UTF8.GetBytes(deviceId);
        var body = ProofRecordCodec.Encode(receipt);
        var message = new byte[2 + device.Length + body.Length];
        message[0] = (byte)(device.Length >> 8);
        message[1] = (byte)device.Length;
        device.CopyTo(message, 2);
        body.CopyTo(message, 2 + device.Length);
        await redis.GetSubscriber().PublishAsync(keys.Receipts, message);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string deviceId, Action<ReceiptRecord> onReceipt, CancellationToken cancellationToken)
    {
        var registration = watchers.Add(deviceId, onReceipt);
        await EnsureSubscribedAsync(cancellationToken);
        return registration;
    }

    public void Dispose() => _gate.Dispose();

    private async Task EnsureSubscribedAsync(CancellationToken cancellationToken)
    {
        if (_subscribed)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_subscribed)
            {
                await redis.GetSubscriber().SubscribeAsync(keys.Receipts, (_, value) =>
                {
                    var message = (byte[])value!;
                    var length = (message[0] << 8) | message[1];
                    var device = System.Text.Encoding.UTF8.GetString(message, 2, length);
                    watchers.Deliver(device, ProofRecordCodec.DecodeReceipt(message.AsSpan(2 + length)));
                });
                _subscribed = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
