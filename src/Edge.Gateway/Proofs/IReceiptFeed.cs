namespace Edge.Gateway.Proofs;

/// <summary>
/// Receipt changes for <c>WatchReceipts</c>: in-process in embedded mode; over Redis pub/sub in Redis mode, so a
/// change made by the forwarder on one replica reaches a device watching on another.
/// </summary>
internal interface IReceiptFeed
{
    Task PublishAsync(string deviceId, ReceiptRecord receipt, CancellationToken cancellationToken);

    /// <summary>Calls <paramref name="onReceipt"/> for every change of the device's proofs until disposed.</summary>
    Task<IAsyncDisposable> SubscribeAsync(string deviceId, Action<ReceiptRecord> onReceipt, CancellationToken cancellationToken);
}

/// <summary>Local fan-out of receipts to the watchers connected to this replica.</summary>
internal sealed class LocalReceiptWatchers
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<Action<ReceiptRecord>>> _watchers = new(StringComparer.Ordinal);

    public IAsyncDisposable Add(string deviceId, Action<ReceiptRecord> onReceipt)
    {
        lock (_lock)
        {
            if (!_watchers.TryGetValue(deviceId, out var list))
            {
                _watchers[deviceId] = list = [];
            }

            list.Add(onReceipt);
        }

        return new Registration(this, deviceId, onReceipt);
    }

    public void Deliver(string deviceId, ReceiptRecord receipt)
    {
        Action<ReceiptRecord>[] targets;
        lock (_lock)
        {
            if (!_watchers.TryGetValue(deviceId, out var list))
            {
                return;
            }

            targets = [.. list];
        }

        foreach (var target in targets)
        {
            target(receipt);
        }
    }

    private void Remove(string deviceId, Action<ReceiptRecord> onReceipt)
    {
        lock (_lock)
        {
            if (_watchers.TryGetValue(deviceId, out var list) && list.Remove(onReceipt) && list.Count == 0)
            {
                _watchers.Remove(deviceId);
            }
        }
    }

    private sealed class Registration(LocalReceiptWatchers owner, string deviceId, Action<ReceiptRecord> onReceipt) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            owner.Remove(deviceId, onReceipt);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Embedded mode: one process, so receipts go straight to the local watchers.</summary>
internal sealed class InProcessReceiptFeed(LocalReceiptWatchers watchers) : IReceiptFeed
{
    public Task PublishAsync(string deviceId, ReceiptRecord receipt, CancellationToken cancellationToken)
    {
        watchers.Deliver(deviceId, receipt);
        return Task.CompletedTask;
    }

    public Task<IAsyncDisposable> SubscribeAsync(string deviceId, Action<ReceiptRecord> onReceipt, CancellationToken cancellationToken)
        => Task.FromResult(watchers.Add(deviceId, onReceipt));
}
