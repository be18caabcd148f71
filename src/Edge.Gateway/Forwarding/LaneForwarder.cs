using Grpc.Core;
using Polly.CircuitBreaker;

namespace Edge.Gateway.Forwarding;

/// <summary>
/// One forwarder of one lane. It keeps taking entries from the outbox up to its limit of held entries, delivers those
/// that are due, and parks what the core did not take with a time of its own: behind an open breaker until the breaker
/// lets a trial through (and all at once when it closes), after a transient failure for a growing, jittered pause.
/// Nothing waits behind one failing entry, and when the core returns everything held goes at once. Held entries are
/// renewed in the outbox so that no other forwarder takes them while this one lives.
/// </summary>
internal sealed class LaneForwarder(
    OutboxLane lane,
    string consumer,
    int batchSize,
    int maxHeld,
    IOutbox outbox,
    CoreDelivery delivery,
    OutboxSignal signal,
    LaneBreaker breaker,
    ForwardingOptions options,
    TimeProvider timeProvider,
    ILogger logger)
{
    private static readonly TimeSpan MinimumPark = TimeSpan.FromMilliseconds(20);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Held> _held = new(StringComparer.Ordinal);
    private int _closuresSeen;

    /// <summary>Entries this forwarder holds (parked or being delivered).</summary>
    public int HeldCount
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = RenewLoopAsync(renewing.Token);
        try
        {
            await DrainLoopAsync(stoppingToken);
        }
        finally
        {
            await renewing.CancelAsync();
            await renewal;
        }
    }

    private async Task DrainLoopAsync(CancellationToken stoppingToken)
    {
        var storeFailures = 0;
        _closuresSeen = breaker.Closures;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var took = await FillAsync(stoppingToken);
                var ready = Ready(timeProvider.GetUtcNow());
                if (ready.Count > 0)
                {
                    if (lane == OutboxLane.Scans)
                    {
                        await DeliverScansAsync(ready, stoppingToken);
                    }
                    else
                    {
                        await DeliverProofsAsync(ready, stoppingToken);
                    }
                }
                else if (!took)
                {
                    await WaitAsync(stoppingToken);
                }

                storeFailures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The state store failed (Redis unreachable, disk full): keep what is held, try again later.
                var delay = Backoff(++storeFailures);
                ForwardingLog.ForwarderFailed(logger, lane, delay, e);
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Takes one batch of new (or abandoned) entries while there is room; true when it took any.</summary>
    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        var room = maxHeld - HeldCount;
        if (room <= 0)
        {
            return false;
        }

        var taken = await outbox.TakeAsync(lane, consumer, Math.Min(batchSize, room), cancellationToken);
        if (taken.Count == 0)
        {
            return false;
        }

        // Behind an open breaker new entries are parked until its trial, without a call that could only fail.
        var due = breaker.OpenUntil ?? timeProvider.GetUtcNow();
        var added = false;
        lock (_gate)
        {
            foreach (var entry in taken)
            {
                added |= _held.TryAdd(entry.EntryId, new Held(entry) { Due = due });
            }
        }

        return added;
    }

    /// <summary>Up to one batch of held entries that are due, oldest first; all of them when the breaker closed again.</summary>
    private List<OutboxEntry> Ready(DateTimeOffset now)
    {
        var closures = breaker.Closures;
        lock (_gate)
        {
            if (closures != _closuresSeen)
            {
                _closuresSeen = closures;
                foreach (var held in _held.Values)
                {
                    held.Due = now;
                }
            }

            return _held.Values.Where(h => h.Due <= now && !h.InFlight).OrderBy(h => h.Entry.EnqueuedAt).Take(batchSize)
                .Select(h =>
                {
                    h.InFlight = true;
                    return h.Entry;
                }).ToList();
        }
    }

    private async Task DeliverScansAsync(List<OutboxEntry> ready, CancellationToken cancellationToken)
    {
        try
        {
            await breaker.Pipeline.ExecuteAsync(async ct => await delivery.DeliverScansAsync(ready, ct), cancellationToken);
        }
        catch (Exception e) when (IsRetryable(e))
        {
            Park(ready, e);
            return;
        }
        catch
        {
            Park(ready, null);
            throw;
        }

        await SettleAsync(ready, cancellationToken);
    }

    private async Task DeliverProofsAsync(List<OutboxEntry> ready, CancellationToken cancellationToken)
    {
        var attempts = ready.Select(async entry =>
        {
            try
            {
                await breaker.Pipeline.ExecuteAsync(async ct => await delivery.DeliverProofAsync(entry, ct), cancellationToken);
                return (Entry: entry, Failure: (Exception?)null);
            }
            catch (Exception e) when (IsRetryable(e))
            {
                return (Entry: entry, Failure: e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (Entry: entry, Failure: e);
            }
        }).ToList();
        var results = await Task.WhenAll(attempts);
        var failed = results.Where(r => r.Failure is not null).ToList();
        foreach (var group in failed.GroupBy(r => r.Failure!.GetType()))
        {
            Park(group.Select(r => r.Entry).ToList(), group.First().Failure);
        }

        await SettleAsync(results.Where(r => r.Failure is null).Select(r => r.Entry).ToList(), cancellationToken);
        if (failed.Select(r => r.Failure!).FirstOrDefault(f => !IsRetryable(f)) is { } unexpected)
        {
            throw new InvalidOperationException("a proof delivery failed unexpectedly", unexpected);
        }
    }

    /// <summary>Completes what the core answered for good and lets go of it.</summary>
    private async Task SettleAsync(List<OutboxEntry> settled, CancellationToken cancellationToken)
    {
        if (settled.Count == 0)
        {
            return;
        }

        try
        {
            await outbox.CompleteAsync(lane, settled, cancellationToken);
        }
        catch
        {
            // Still held: delivered again later (the core dedupes by id), completed then.
            Park(settled, null);
            throw;
        }

        lock (_gate)
        {
            foreach (var entry in settled)
            {
                _held.Remove(entry.EntryId);
            }
        }
    }

    /// <summary>Gives entries the core did not take a time to be tried again.</summary>
    private void Park(List<OutboxEntry> entries, Exception? failure)
    {
        var now = timeProvider.GetUtcNow();
        TimeSpan delay;
        lock (_gate)
        {
            var failures = 0;
            foreach (var entry in entries)
            {
                if (_held.TryGetValue(entry.EntryId, out var held))
                {
                    held.InFlight = false;
                    if (failure is not BrokenCircuitException)
                    {
                        held.Failures++;
                    }

                    failures = Math.Max(failures, held.Failures);
                }
            }

            delay = failure switch
            {
                // Behind the breaker: until its trial call; its closing wakes every forwarder of the lane earlier.
                BrokenCircuitException broken => Max(broken.RetryAfter ?? options.BreakDuration, MinimumPark),
                _ => Backoff(Math.Max(1, failures)),
            };
            foreach (var entry in entries)
            {
                if (_held.TryGetValue(entry.EntryId, out var held))
                {
                    held.Due = now + delay;
                }
            }
        }

        if (failure is not null && failure is not BrokenCircuitException)
        {
            ForwardingLog.WillRetry(logger, entries.Count, lane, failure.Message, delay);
        }
    }

    /// <summary>Sleeps until a held entry is due, the breaker closes, or (with room to hold more) intake signals.</summary>
    private async Task WaitAsync(CancellationToken stoppingToken)
    {
        var now = timeProvider.GetUtcNow();
        TimeSpan wait;
        bool room;
        lock (_gate)
        {
            var next = _held.Values.Where(h => !h.InFlight).Select(h => (DateTimeOffset?)h.Due).Min();
            wait = next is { } due ? due - now : options.PollInterval;
            room = _held.Count < maxHeld;
        }

        if (room && wait > options.PollInterval)
        {
            wait = options.PollInterval;
        }

        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var waits = new List<Task> { Task.Delay(wait, timeProvider, wake.Token), breaker.NextClose.WaitAsync(wake.Token) };
        if (room)
        {
            waits.Add(signal.WaitAsync(lane, wait, wake.Token));
        }

        await Task.WhenAny(waits);
        await wake.CancelAsync();
        stoppingToken.ThrowIfCancellationRequested();
    }

    /// <summary>Keeps held entries leased: every third of the claim timeout, however long a delivery takes.</summary>
    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        var period = options.ClaimTimeout / 3;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, timeProvider, cancellationToken);
                List<OutboxEntry> held;
                lock (_gate)
                {
                    held = _held.Values.Select(h => h.Entry).ToList();
                }

                await outbox.RenewAsync(lane, consumer, held, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                ForwardingLog.ForwarderFailed(logger, lane, period, e);
            }
        }
    }

    private static bool IsRetryable(Exception e) => e is BrokenCircuitException || (e is RpcException rpc && CoreDelivery.IsTransient(rpc));

    /// <summary>Exponential in the failures so far, with full jitter, capped at the max and at half the claim timeout.</summary>
    private TimeSpan Backoff(int failures)
    {
        var cap = TimeSpan.FromTicks(Math.Min(options.MaxRetryDelay.Ticks, options.ClaimTimeout.Ticks / 2));
        var exponential = TimeSpan.FromTicks((long)Math.Min(cap.Ticks, options.RetryBaseDelay.Ticks * Math.Pow(2, Math.Min(failures, 30))));
        return TimeSpan.FromTicks((long)(exponential.Ticks * (0.5 + (Random.Shared.NextDouble() * 0.5))));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class Held(OutboxEntry entry)
    {
        public OutboxEntry Entry { get; } = entry;

        public DateTimeOffset Due { get; set; }

        public int Failures { get; set; }

        public bool InFlight { get; set; }
    }
}
