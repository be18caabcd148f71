using Edge.Gateway.Blobs;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Hosting;
using Edge.Gateway.Manifests;
using Edge.Gateway.Proofs;
using Edge.Gateway.Scans;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Edge.Gateway.Storage.Sqlite;

internal static class SqliteStateServiceCollectionExtensions
{
    /// <summary>
    /// Embedded mode: every piece of state in one SQLite file under the data directory (<see cref="SqliteDatabase"/>),
    /// each service registered once. Receipts and manifest versions stay in the process: there is one node.
    /// </summary>
    public static IServiceCollection AddSqliteState(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SqliteDatabase>();
        services.TryAddSingleton<IStateProbe, SqliteStateProbe>();

        services.TryAddSingleton<IUploadSessionStore, SqliteUploadSessionStore>();
        services.TryAddSingleton<IBlobIndex, SqliteBlobIndex>();
        services.TryAddSingleton<IScanStore, SqliteScanStore>();
        services.TryAddSingleton<IOutbox, SqliteOutbox>();
        services.TryAddSingleton<IReplicaIdentity, ProcessReplicaIdentity>();
        services.TryAddSingleton<SqliteProofStore>();
        services.TryAddSingleton<IProofStore>(sp => sp.GetRequiredService<SqliteProofStore>());
        services.TryAddSingleton<IDeadLetters, SqliteDeadLetters>();
        services.TryAddSingleton<Security.IRevocationStore, SqliteRevocationStore>();
        services.TryAddSingleton<Proofs.Reuse.IPhotoPrintIndex, Proofs.Reuse.SqlitePhotoPrintIndex>();
        services.AddHostedService<Proofs.Reuse.PhotoReuseSweeper>();

        services.TryAddSingleton<LocalReceiptWatchers>();
        services.TryAddSingleton<IReceiptFeed, InProcessReceiptFeed>();
        services.TryAddSingleton<IManifestStore, SqliteManifestStore>();
        services.TryAddSingleton<IManifestVersionBus, LocalManifestVersionBus>();
        return services;
    }
}
