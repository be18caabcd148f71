namespace Edge.Gateway.Forwarding;

/// <summary>
/// Wakes this replica's idle forwarders when intake added an entry, so a proof starts towards the core at once
/// instead of at the next poll. Entries added on other replicas are found by polling.
/// </summary>
internal sealed class OutboxSignal
{
    private readonly SemaphoreSlim[] _lanes = [new(0, int.MaxValue), new(0, int.MaxValue)];

    public void Notify(OutboxLane lane)
    {
        var semaphore = _lanes[(int)lane];
        if (semaphore.CurrentCount < 64)
        {
            semaphore.Release();
        }
    }

    /// <summary>Waits for a notification or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(OutboxLane lane, TimeSpan timeout, CancellationToken cancellationToken)
        => await _lanes[(int)lane].WaitAsync(timeout, cancellationToken);
}
