using Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.CoreSim.Tests.Diagnostics;

/// <summary>The core simulator's logging event ids: one list, no id used twice.</summary>
public sealed class EventIdsTests
{
    private static readonly System.Reflection.Assembly Simulator = typeof(CoreSimulatorServiceCollectionExtensions).Assembly;

    [Fact]
    public void LoggerMessages_EventIds_AreUnique()
    {
        var declared = LoggingEventIds.Declared(Simulator);

        Assert.NotEmpty(declared);
        Assert.Empty(LoggingEventIds.Duplicates(declared));
    }

    [Fact]
    public void LoggerMessages_EventIds_AreExactlyTheListedOnes()
    {
        var listed = LoggingEventIds.Listed(Simulator);

        Assert.Empty(LoggingEventIds.Duplicates(listed));
        Assert.Equal(listed.Select(l => l.EventId), LoggingEventIds.Declared(Simulator).Select(d => d.EventId));
    }
}
