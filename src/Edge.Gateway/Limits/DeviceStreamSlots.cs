namespace Edge.Gateway.Limits;

/// <summary>Counts the long-lived streams each device holds on this replica, per method and key (a route).</summary>
internal sealed class DeviceStreamSlots
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Method, string DeviceId, string Key), int> _open = [];

    /// <summary>A slot, or null when the device already holds <paramref name="max"/> of these streams.</summary>
    public IDisposable? TryOpen(string method, string deviceId, string key, int max)
    {
        var slot = (method, deviceId, key);
        lock (_lock)
        {
            var open = _open.GetValueOrDefault(slot);
            if (open >= max)
            {
                return null;
            }

            _open[slot] = open + 1;
        }

        return new Slot(this, slot);
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

    private sealed class Slot(DeviceStreamSlots owner, (string, string, string) slot) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                owner.Close(slot);
            }
        }
    }
}
