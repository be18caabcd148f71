namespace Edge.Gateway.Forwarding;

/// <summary>
/// The name this process's forwarders take as outbox consumers. In Redis mode it is the replica's own id (configured,
/// or the host name), held by one live process at a time, so a restarted replica is the same consumer as before; in
/// embedded mode one process owns the state file and the name only labels leases.
/// </summary>
internal interface IReplicaIdentity
{
    /// <summary>The replica id, once this process holds it.</summary>
    Task<string> AcquireAsync(CancellationToken cancellationToken);

    /// <summary>The outbox consumer name of one forwarder: the replica id, a slash, the lane's letter and the forwarder's number.</summary>
    static string Consumer(string replicaId, OutboxLane lane, int index) => $"{replicaId}/{(lane == OutboxLane.Scans ? 's' : 'p')}{index}";

    /// <summary>What every consumer name of a replica starts with.</summary>
    static string ConsumerPrefix(string replicaId) => replicaId + "/";
}

/// <summary>Embedded mode: one gateway process per state file; the host name and process id label its leases.</summary>
internal sealed class ProcessReplicaIdentity : IReplicaIdentity
{
    public Task<string> AcquireAsync(CancellationToken cancellationToken) => Task.FromResult($"{Environment.MachineName}-{Environment.ProcessId}");
}
