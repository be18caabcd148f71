using Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.CoreSim.Tests.Diagnostics;

/// <summary>The core simulator's logging event ids: one list, no id used twice.</summary>
public sealed class EventIdsTests
{
    private static readonly System.Reflection.Assembly Simulator = typeof(CoreSimulatorServiceCollectionExtensions).Assembly;

    [Fact]
    public void LoggerMessages_EventIds_AreUniqueAndListed()
    {
        Assert.NotEmpty(LoggingEventIds.Declared(Simulator));
        Assert.Empty(LoggingEventIds.Problems(Simulator));
    }
}
