using Edge.Gateway.Hosting;
using Edge.Testing;

namespace Edge.Gateway.Tests.Diagnostics;

/// <summary>The gateway's logging event ids: one list, no id used twice.</summary>
public sealed class EventIdsTests
{
    private static readonly System.Reflection.Assembly Gateway = typeof(EdgeGatewayExtensions).Assembly;

    [Fact]
    public void LoggerMessages_EventIds_AreUniqueAndListed()
    {
        Assert.NotEmpty(LoggingEventIds.Declared(Gateway));
        Assert.Empty(LoggingEventIds.Problems(Gateway));
    }
}
