using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Edge.Client.Connection;

/// <summary>
/// Opens the channel's TCP connections. Normally one attempt, as the HTTP handler would make it. Right after a cut
/// (<see cref="ReconnectPacing.Quick"/>) it does not wait for an attempt to be refused before it makes the next: while
/// the signal is gone every attempt is refused a round trip later (or its SYN is lost, and the kernel retries it only
/// after a second), so attempts one after the other would leave the link unused for up to a round trip plus a pause
/// after it comes back. A new attempt goes out every <see cref="ReconnectPacing.QuickInterval"/> instead, replacing
/// the oldest when <see cref="MaxPending"/> are unanswered, and the first one through is used; the others are closed.
/// </summary>
internal sealed class Dialer(ReconnectPacing pacing, TimeProvider time)
{
    /// <summary>Most attempts unanswered at once.</summary>
    public const int MaxPending = 4;

    /// <summary>The handler's connect callback.</summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
        => ConnectAsync(context.DnsEndPoint, cancellationToken);

    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var pending = new List<Attempt>();
        Exception? lastError = null;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var quick = pacing.Quick;
                if (quick || (pending.Count == 0 && lastError is null))
                {
                    if (pending.Count == MaxPending)
                    {
                        // The oldest attempt's SYN is the one the kernel retries last: a fresh one gets through sooner.
                        pending[0].Abandon();
                        pending.RemoveAt(0);
                    }

                    pending.Add(new Attempt(endpoint, cancellationToken));
                }

                if (pending.Count == 0)
                {
                    // Every attempt failed and the quick pace is over: the caller's retry policy takes it from here.
                    throw lastError!;
                }

                var waits = pending.Select(a => (Task)a.Connected).ToList();
                var tick = quick ? Task.Delay(ReconnectPacing.QuickInterval, time, cancellationToken) : null;
                if (tick is not null)
                {
                    waits.Add(tick);
                }

                var finished = await Task.WhenAny(waits).ConfigureAwait(false);
                if (finished == tick)
                {
                    continue;
                }

                var attempt = pending.First(a => a.Connected == finished);
                pending.Remove(attempt);
                if (attempt.Connected.IsCompletedSuccessfully)
                {
                    return new NetworkStream(attempt.Connected.Result, ownsSocket: true);
                }

                cancellationToken.ThrowIfCancellationRequested();
                lastError = attempt.Connected.Exception?.InnerException ?? new SocketException((int)SocketError.ConnectionRefused);
            }
        }
        finally
        {
            foreach (var left in pending)
            {
                left.Abandon();
            }
        }
    }

    /// <summary>One TCP connection attempt that can be given up on its own.</summary>
    private sealed class Attempt
    {
        private readonly CancellationTokenSource _cancel;

        public Attempt(DnsEndPoint endpoint, CancellationToken cancellationToken)
        {
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Connected = ConnectAsync(endpoint, _cancel.Token);
            _ = Connected.ContinueWith(static (_, cancel) => ((CancellationTokenSource)cancel!).Dispose(), _cancel, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        public Task<Socket> Connected { get; }

        /// <summary>Stops the attempt; a socket that connected all the same is closed.</summary>
        public void Abandon()
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The attempt has finished.
            }

            _ = Connected.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }

        private static async Task<Socket> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
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
}
