using Microsoft.Extensions.Options;

namespace Edge.CoreSim.FaultInjection;

/// <summary>The fault set in force: from configuration at start, replaced whole by the Admin service.</summary>
internal sealed class FaultState(IOptions<CoreSimulatorOptions> options, TimeProvider timeProvider)
{
    private FaultSet _current = new(FaultSet.FromOptions(options.Value.Faults, timeProvider.GetUtcNow()));

    public FaultSet Current => Volatile.Read(ref _current);

    public void Replace(FaultSet faults) => Volatile.Write(ref _current, faults);
}
