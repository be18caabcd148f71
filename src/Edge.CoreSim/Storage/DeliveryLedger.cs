using Edge.Shared;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Edge.CoreSim.Storage;

/// <summary>
/// The durable record of delivered items (proofs, scan events) and the answer each first got, keyed by the
/// item's id. Checking for an id and recording it happen under one lock, so two concurrent deliveries of the
/// same id record it once.
/// </summary>
/// <remarks>Each log record is a <see cref="MessagePair"/> of the item and its answer.</remarks>
internal sealed class DeliveryLedger<TItem, TAnswer> : IDisposable
    where TItem : IMessage<TItem>, new()
    where TAnswer : IMessage<TAnswer>, new()
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LedgerEntry<TItem, TAnswer>> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Func<TItem, string> _idOf;
    private readonly RecordLog _log;
    private readonly GroupCommit<(IReadOnlyList<TItem> Items, Func<TItem, TAnswer> Decide), IReadOnlyList<(LedgerEntry<TItem, TAnswer> Entry, bool Recorded)>> _commits;

    public DeliveryLedger(string path, Func<TItem, string> idOf, ILogger logger)
    {
        _idOf = idOf;
        _commits = new(RecordBatches);
        _log = RecordLog.Open(path, Load, logger);
        StorageLog.LedgerLoaded(logger, _entries.Count, path);
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public LedgerEntry<TItem, TAnswer>? Find(string id)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(id);
        }
    }

    /// <summary>
    /// As <see cref="Record"/>, but concurrent calls share one synced write (group commit): while one write is on its
    /// way to disk, the calls that arrive queue up and go together in the next. Each call's answer is the same as if
    /// the calls had been recorded one by one in arrival order.
    /// </summary>
    public Task<IReadOnlyList<(LedgerEntry<TItem, TAnswer> Entry, bool Recorded)>> RecordAsync(IReadOnlyList<TItem> items, Func<TItem, TAnswer> decide)
        => _commits.RunAsync((items, decide));

    private IReadOnlyList<(LedgerEntry<TItem, TAnswer> Entry, bool Recorded)>[] RecordBatches(IReadOnlyList<(IReadOnlyList<TItem> Items, Func<TItem, TAnswer> Decide)> batches)
    {
        var items = new List<TItem>();
        var decisions = new Dictionary<object, Func<TItem, TAnswer>>(ReferenceEqualityComparer.Instance);
        foreach (var (batchItems, decide) in batches)
        {
            foreach (var item in batchItems)
            {
                items.Add(item);
                decisions[item] = decide;
            }
        }

        var results = Record(items, item => decisions[item](item));
        var split = new IReadOnlyList<(LedgerEntry<TItem, TAnswer>, bool)>[batches.Count];
        var offset = 0;
        for (var i = 0; i < batches.Count; i++)
        {
            split[i] = results.Skip(offset).Take(batches[i].Items.Count).ToArray();
            offset += batches[i].Items.Count;
        }

        return split;
    }

    /// <summary>
    /// Records each item whose id is not yet recorded, with the answer <paramref name="decide"/> gives it, in one
    /// synced write. Returns, in input order, each id's entry and whether this call recorded it. An id repeated
    /// within <paramref name="items"/> is recorded once, by its first occurrence.
    /// </summary>
    public IReadOnlyList<(LedgerEntry<TItem, TAnswer> Entry, bool Recorded)> Record(IReadOnlyList<TItem> items, Func<TItem, TAnswer> decide)
    {
        var results = new (LedgerEntry<TItem, TAnswer>, bool)[items.Count];
        lock (_gate)
        {
            var added = new Dictionary<string, LedgerEntry<TItem, TAnswer>>(StringComparer.Ordinal);
            var payloads = new List<byte[]>();
            for (var i = 0; i < items.Count; i++)
            {
                var id = _idOf(items[i]);
                if (_entries.TryGetValue(id, out var existing) || added.TryGetValue(id, out existing))
                {
                    results[i] = (existing, false);
                    continue;
                }

                var entry = new LedgerEntry<TItem, TAnswer>(items[i], decide(items[i]));
                added.Add(id, entry);
                payloads.Add(MessagePair.Encode(entry.Item, entry.Answer));
                results[i] = (entry, true);
            }

            if (payloads.Count > 0)
            {
                // Only once the write is on disk does anything see the new entries.
                _log.Append(payloads);
                for (var i = 0; i < items.Count; i++)
                {
                    if (results[i].Item2)
                    {
                        var id = _idOf(items[i]);
                        _entries.Add(id, results[i].Item1);
                        _order.Add(id);
                    }
                }
            }
        }

        return results;
    }

    /// <summary>Every recorded entry, in the order first recorded.</summary>
    public IReadOnlyList<LedgerEntry<TItem, TAnswer>> List()
    {
        lock (_gate)
        {
            return _order.Select(id => _entries[id]).ToArray();
        }
    }

    public void Dispose() => _log.Dispose();

    private void Load(byte[] payload)
    {
        var item = new TItem();
        var answer = new TAnswer();
        MessagePair.Decode(payload, item, answer);
        var id = _idOf(item);
        if (_entries.TryAdd(id, new LedgerEntry<TItem, TAnswer>(item, answer)))
        {
            _order.Add(id);
        }
    }

}

/// <summary>An item as first delivered and the answer it got.</summary>
internal sealed record LedgerEntry<TItem, TAnswer>(TItem Item, TAnswer Answer);
