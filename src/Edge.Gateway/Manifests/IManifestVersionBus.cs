namespace Edge.Gateway.Manifests;

/// <summary>How replicas tell each other that a route has a new version, so each drops its in-memory copy.</summary>
internal interface IManifestVersionBus
{
    ValueTask PublishAsync(string routeId, long version, CancellationToken cancellationToken);

    /// <summary>Calls <paramref name="handler"/> for every announcement from any replica (its own included).</summary>
    ValueTask SubscribeAsync(Func<string, long, Task> handler, CancellationToken cancellationToken);
}

/// <summary>Embedded mode: one node, nobody to tell.</summary>
internal sealed class LocalManifestVersionBus : IManifestVersionBus
{
    public ValueTask PublishAsync(string routeId, long version, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask SubscribeAsync(Func<string, long, Task> handler, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
