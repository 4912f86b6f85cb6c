namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// The handlers of something delivered on this instance (a bus's subscribers, the hub's listeners and followers):
/// every handler receives every item, in the order delivered, each once, whatever another handler (or itself, on an
/// earlier item) threw. A handler's fault is reported and goes no further: it never reaches the one delivering (a
/// publisher whose write is done, the stream's reader whose position has moved on), so it can cut short no delivery.
/// </summary>
internal sealed class Handlers<T>(Action<Exception> fault)
{
    private readonly Lock _gate = new();
    private Entry[] _handlers = [];

    public int Count => Volatile.Read(ref _handlers).Length;

    /// <summary>Hands <paramref name="item"/> to every handler; never throws.</summary>
    public void Deliver(T item)
    {
        foreach (var entry in Volatile.Read(ref _handlers))
        {
            try
            {
                entry.Handler(item);
            }
            catch (Exception e)
            {
                fault(e);
            }
        }
    }

    /// <summary>Adds <paramref name="handler"/>; disposing the answer removes this subscription only (the same delegate added twice is two).</summary>
    public IDisposable Add(Action<T> handler)
    {
        var entry = new Entry(this, handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, entry];
        }

        return entry;
    }

    private sealed class Entry(Handlers<T> handlers, Action<T> handler) : IDisposable
    {
        public Action<T> Handler => handler;

        public void Dispose()
        {
            lock (handlers._gate)
            {
                handlers._handlers = [.. handlers._handlers.Where(e => !ReferenceEquals(e, this))];
            }
        }
    }
}
