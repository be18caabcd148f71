using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Edge.Client.Connection;

/// <summary>
/// Opens the channel's TCP connections. Normally one attempt, as the HTTP handler would make it. Right after a cut
/// (<see cref="ReconnectPacing.Quick"/>) it does not wait for an attempt to be refused before it makes the next: while
/// the signal is gone every attempt is refused (or lost) a round trip later, so attempts one after the other would
/// leave the link unused for up to a round trip plus a pause after it comes back. A new attempt goes out every
/// <see cref="ReconnectPacing.QuickInterval"/> instead, at most <see cref="MaxPending"/> at once, and the first one
/// through is used; the others are closed.
/// </summary>
internal sealed class Dialer(ReconnectPacing pacing, TimeProvider time)
{
    /// <summary>Most attempts unanswered at once (each is a SYN retransmitted by the kernel until it is refused).</summary>
    public const int MaxPending = 4;

    /// <summary>The handler's connect callback.</summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
        => ConnectAsync(context.DnsEndPoint, cancellationToken);

    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var pending = new List<Task<Socket>>();
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? lastError = null;
        try
        {
            while (true)
            {
                var quick = pacing.Quick;
                if (pending.Count < MaxPending && (quick || (pending.Count == 0 && lastError is null)))
                {
                    pending.Add(ConnectOnceAsync(endpoint, abandon.Token));
                }

                if (pending.Count == 0)
                {
                    // Every attempt failed and the quick pace is over: the caller's retry policy takes it from here.
                    throw lastError!;
                }

                var tick = quick ? Task.Delay(ReconnectPacing.QuickInterval, time, abandon.Token) : null;
                var finished = await Task.WhenAny(tick is null ? pending : pending.Append<Task>(tick)).ConfigureAwait(false);
                if (finished == tick)
                {
                    continue;
                }

                var attempt = (Task<Socket>)finished;
                pending.Remove(attempt);
                if (attempt.IsCompletedSuccessfully)
                {
                    return new NetworkStream(attempt.Result, ownsSocket: true);
                }

                cancellationToken.ThrowIfCancellationRequested();
                lastError = attempt.Exception?.InnerException ?? new SocketException((int)SocketError.ConnectionRefused);
            }
        }
        finally
        {
            await abandon.CancelAsync().ConfigureAwait(false);
            foreach (var left in pending)
            {
                // A loser that connected after all is closed at once; the others end with the cancellation.
                _ = left.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }
    }

    private static async Task<Socket> ConnectOnceAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
