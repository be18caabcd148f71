namespace Edge.Gateway.Limits;

/// <summary>Embedded mode: counts the long-lived streams each device holds on this one node, per method and key (a route).</summary>
internal sealed class LocalDeviceStreamSlots : IDeviceStreamSlots
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Method, string DeviceId, string Key), int> _open = [];

    public ValueTask<IAsyncDisposable?> TryOpenAsync(string method, string deviceId, string key, int max, CancellationToken cancellationToken)
    {
        var slot = (method, deviceId, key);
        lock (_lock)
        {
            var open = _open.GetValueOrDefault(slot);
            if (open >= max)
            {
                return ValueTask.FromResult<IAsyncDisposable?>(null);
            }

            _open[slot] = open + 1;
        }

        return ValueTask.FromResult<IAsyncDisposable?>(new Slot(this, slot));
    }

    private void Close((string, string, string) slot)
    {
        lock (_lock)
        {
            if (--_open[slot] == 0)
            {
                _open.Remove(slot);
            }
        }
    }

    private sealed class Slot(LocalDeviceStreamSlots owner, (string, string, string) slot) : IAsyncDisposable
    {
        private int _closed;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                owner.Close(slot);
            }

            return ValueTask.CompletedTask;
        }
    }
}
