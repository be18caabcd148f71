using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>A test host's log kept whole: every category at every level, read back with <c>GetFakeLogCollector()</c>.</summary>
public static class FakeLogs
{
    public static IServiceCollection AddFakeLogsOfEveryLevel(this IServiceCollection services)
    {
        services.AddFakeLogging();
        return services.AddLogging(logging => logging.AddFilter<FakeLoggerProvider>(null, LogLevel.Debug));
    }
}
