namespace Edge.Gateway.Limits;

/// <summary>
/// Counts the long-lived streams (watches, scan streams) each device holds, per method and key (a route): in this
/// process in embedded mode (<see cref="LocalDeviceStreamSlots"/>), across replicas in Redis mode
/// (<see cref="RedisDeviceStreamSlots"/>).
/// </summary>
internal interface IDeviceStreamSlots
{
    /// <summary>
    /// A slot, held until it is disposed, or null when the device already holds <paramref name="max"/> of these streams.
    /// </summary>
    ValueTask<IAsyncDisposable?> TryOpenAsync(string method, string deviceId, string key, int max, CancellationToken cancellationToken);
}
