namespace Edge.Client.Outbox;

/// <summary>
/// Behind <see cref="EdgeClient.OutboxFileDamaged"/>: a damaged file found before the app attached a handler (the
/// outbox is read as soon as the client starts) is kept and told to the first handler, so no report is lost.
/// </summary>
internal sealed class DamageReports(object sender)
{
    private readonly Lock _gate = new();
    private readonly List<DamagedOutboxFile> _unheard = [];
    private EventHandler<DamagedOutboxFile>? _handlers;

    public void Add(EventHandler<DamagedOutboxFile>? handler)
    {
        List<DamagedOutboxFile> unheard;
        lock (_gate)
        {
            _handlers += handler;
            unheard = [.. _unheard];
            _unheard.Clear();
        }

        foreach (var file in unheard)
        {
            handler?.Invoke(sender, file);
        }
    }

    public void Remove(EventHandler<DamagedOutboxFile>? handler)
    {
        lock (_gate)
        {
            _handlers -= handler;
        }
    }

    public void Report(DamagedOutboxFile file)
    {
        EventHandler<DamagedOutboxFile>? handlers;
        lock (_gate)
        {
            handlers = _handlers;
            if (handlers is null)
            {
                _unheard.Add(file);
                return;
            }
        }

        handlers(sender, file);
    }
}
