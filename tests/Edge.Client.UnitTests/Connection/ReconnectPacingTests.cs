using Edge.Client.Connection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Client.UnitTests.Connection;

/// <summary>Quick retries for a few seconds after a cut, exponential backoff otherwise, and the gateway's hint always.</summary>
public sealed class ReconnectPacingTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly Exception _reset = new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "reset", new IOException("connection reset")));

    [Fact]
    public void Next_AfterACut_RetriesAtTheQuickIntervalThroughTheQuickPeriod()
    {
        var pacing = new ReconnectPacing(_time);
        var backoff = new Backoff(Initial, Max);
        pacing.OnCut();

        var delays = new List<TimeSpan>();
        for (var elapsed = TimeSpan.Zero; elapsed < ReconnectPacing.QuickPeriod; elapsed += ReconnectPacing.QuickInterval)
        {
            delays.Add(pacing.Next(backoff, _reset));
            _time.Advance(ReconnectPacing.QuickInterval);
        }

        Assert.All(delays, d => Assert.InRange(d, ReconnectPacing.QuickInterval, ReconnectPacing.QuickInterval * 1.5));
    }

    [Fact]
    public void Next_PastTheQuickPeriod_BacksOffExponentially()
    {
        var pacing = new ReconnectPacing(_time);
        var backoff = new Backoff(TimeSpan.FromSeconds(1), Max);
        pacing.OnCut();
        _time.Advance(ReconnectPacing.QuickPeriod);

        // Full jitter: each delay is random below a cap that doubles, so the caps are what can be checked.
        var delays = Enumerable.Range(0, 6).Select(_ => pacing.Next(backoff, _reset)).ToList();

        Assert.False(pacing.Quick);
        for (var i = 0; i < delays.Count; i++)
        {
            Assert.InRange(delays[i], TimeSpan.Zero, TimeSpan.FromSeconds(Math.Pow(2, i)));
        }

        // Over six failures full jitter leaves almost no chance of every delay staying at the quick pace.
        Assert.Contains(delays, d => d > ReconnectPacing.QuickInterval * 1.5);
    }

    [Fact]
    public void Next_WithoutACut_BacksOff()
    {
        var pacing = new ReconnectPacing(_time);

        Assert.False(pacing.Quick);
        Assert.InRange(pacing.Next(new Backoff(Initial, Max), _reset), TimeSpan.Zero, Initial);
    }

    [Fact]
    public void Next_GatewayAskedForADelay_HonoursItEvenRightAfterACut()
    {
        var pacing = new ReconnectPacing(_time);
        pacing.OnCut();
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = "shutting down",
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }) },
        };

        var delay = pacing.Next(new Backoff(Initial, Max), status.ToRpcException());

        Assert.InRange(delay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }
}
