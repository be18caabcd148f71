using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Edge.Gateway.Tests.Infrastructure;

/// <summary>
/// Every log entry of a host whose category starts with <paramref name="categoryPrefix"/>, kept in memory. Register it
/// as an <see cref="ILoggerProvider"/>; it sees every level (the provider's own filter rule).
/// </summary>
public sealed class CapturedLogs(string categoryPrefix = "Edge.Gateway") : ILoggerProvider
{
    private readonly ConcurrentQueue<(int EventId, string Category, string Message)> _entries = new();

    public IReadOnlyCollection<(int EventId, string Category, string Message)> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>The first entry that matches, waiting for it for at most 30 s (a hang guard).</summary>
    public async Task<(int EventId, string Category, string Message)> WaitForAsync(Func<(int EventId, string Category, string Message), bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var entry in _entries)
            {
                if (match(entry))
                {
                    return entry;
                }
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("no such log entry: " + string.Join(" | ", _entries.Select(e => e.Message)));
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (category.StartsWith(owner._categoryPrefix, StringComparison.Ordinal))
            {
                owner._entries.Enqueue((eventId.Id, category, formatter(state, exception)));
            }
        }
    }

    private readonly string _categoryPrefix = categoryPrefix;
}
