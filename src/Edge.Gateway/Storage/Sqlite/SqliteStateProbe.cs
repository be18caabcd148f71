using Edge.Gateway.Hosting;

namespace Edge.Gateway.Storage.Sqlite;

/// <summary>Embedded mode's health probe: the state file answers a query.</summary>
internal sealed class SqliteStateProbe(SqliteDatabase database) : IStateProbe
{
    public Task<string> ProbeAsync(CancellationToken cancellationToken)
    {
        using var connection = database.Open(durable: false);
        SqliteDatabase.Scalar(connection, null, "SELECT 1");
        return Task.FromResult("The embedded state file answered.");
    }
}
