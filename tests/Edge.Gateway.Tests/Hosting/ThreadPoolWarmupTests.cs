using Edge.Gateway.Hosting;

namespace Edge.Gateway.Tests.Hosting;

/// <summary>The gateway's start of thread pool workers, so that none has to start while descriptors are out.</summary>
public sealed class ThreadPoolWarmupTests
{
    [Fact]
    public void Start_RaisesTheMinimum_AndHasThatManyWorkersRunningAtOnce()
    {
        var workers = Math.Max(ThreadPool.ThreadCount + 8, ThreadPoolWarmup.DefaultWorkers);

        var running = ThreadPoolWarmup.Start(workers);

        Assert.Equal(workers, running);
        ThreadPool.GetMinThreads(out var minimum, out _);
        Assert.True(minimum >= workers, $"minimum {minimum}, asked {workers}");
        Assert.True(ThreadPool.ThreadCount >= workers, $"{ThreadPool.ThreadCount} threads, asked {workers}");
    }
}
