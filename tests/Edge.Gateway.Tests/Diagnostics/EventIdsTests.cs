using Edge.Gateway.Hosting;
using Edge.Testing;

namespace Edge.Gateway.Tests.Diagnostics;

/// <summary>The gateway's logging event ids: one list, no id used twice.</summary>
public sealed class EventIdsTests
{
    private static readonly System.Reflection.Assembly Gateway = typeof(EdgeGatewayExtensions).Assembly;

    [Fact]
    public void LoggerMessages_EventIds_AreUnique()
    {
        var declared = LoggingEventIds.Declared(Gateway);

        Assert.NotEmpty(declared);
        Assert.Empty(LoggingEventIds.Duplicates(declared));
    }

    [Fact]
    public void LoggerMessages_EventIds_AreExactlyTheListedOnes()
    {
        var listed = LoggingEventIds.Listed(Gateway);

        Assert.Empty(LoggingEventIds.Duplicates(listed));
        Assert.Equal(listed.Select(l => l.EventId), LoggingEventIds.Declared(Gateway).Select(d => d.EventId));
    }
}
