using Grpc.Core;

namespace Edge.Gateway.Limits;

/// <summary>
/// A request stream whose next message must arrive in time: within the first-message timeout at first (and again after
/// <see cref="ExpectSoon"/>), within the idle timeout after that. A late message ends the call
/// <c>DEADLINE_EXCEEDED</c>. The pending read is raced, not cancelled: cancelling it would reset the HTTP/2 stream and
/// the client would see CANCELLED instead of the reason.
/// </summary>
internal sealed class DeadlineStreamReader<T>(
    IAsyncStreamReader<T> inner,
    DeviceLimitOptions options,
    TimeProvider timeProvider,
    Action<string> onExpired) : IAsyncStreamReader<T>
{
    private bool _first = true;

    public T Current => inner.Current;

    /// <summary>The next message is due within the first-message timeout (e.g. the first chunk after a start answer).</summary>
    public void ExpectSoon() => _first = true;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var timeout = _first ? options.FirstMessageTimeout : options.MessageIdleTimeout;
        var what = _first ? "first message" : "next message";
        _first = false;
        var next = inner.MoveNext(cancellationToken);
        if (next.IsCompleted)
        {
            return await next;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var late = Task.Delay(timeout, timeProvider, timer.Token);
        if (await Task.WhenAny(next, late) == next)
        {
            await timer.CancelAsync();
            return await next;
        }

        // Observed so it never surfaces as an unobserved exception when the call ends under it.
        _ = next.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        if (cancellationToken.IsCancellationRequested)
        {
            return await next;
        }

        onExpired(what);
        throw new RpcException(new Status(StatusCode.DeadlineExceeded,
            $"No {what} within {timeout.TotalSeconds:0.###} s; the stream is closed (acknowledged bytes and answered events are kept)."));
    }
}
