namespace Edge.Gateway.Hosting;

/// <summary>Asks the state store whether it answers, for grpc.health.v1: the SQLite file, or Redis.</summary>
internal interface IStateProbe
{
    /// <summary>Returns what answered, for the health report; throws when the store does not answer.</summary>
    Task<string> ProbeAsync(CancellationToken cancellationToken);
}
