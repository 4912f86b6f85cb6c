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
    private Action<T>[] _handlers = [];

    public int Count => Volatile.Read(ref _handlers).Length;

    /// <summary>Hands <paramref name="item"/> to every handler; never throws.</summary>
    public void Deliver(T item)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            try
            {
                handler(item);
            }
            catch (Exception e)
            {
                fault(e);
            }
        }
    }

    public IDisposable Add(Action<T> handler)
    {
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Unsubscriber(this, handler);
    }

    private sealed class Unsubscriber(Handlers<T> handlers, Action<T> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (handlers._gate)
            {
                handlers._handlers = [.. handlers._handlers.Where(h => h != handler)];
            }
        }
    }
}
