namespace Edge.CoreSim.Tests;

/// <summary>A test class whose tests each get a fresh data directory and start simulators on it.</summary>
public abstract class CoreSimTest : IDisposable
{
    private protected TempDirectory Data { get; } = new();

    private protected Task<CoreSimHost> StartCoreAsync(
        Action<CoreSimulatorOptions>? configure = null,
        IReadOnlyDictionary<string, string?>? configuration = null)
        => CoreSimHost.StartAsync(Data.Path, configure, configuration);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Data.Dispose();
        }
    }
}
