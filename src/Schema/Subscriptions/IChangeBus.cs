namespace Scheduling.Schema.Subscriptions;

/// <summary>Carries resource changes to every gateway instance, this one included.</summary>
public interface IChangeBus
{
    /// <summary>Sends a change to all instances; delivery to this instance never depends on the transport.</summary>
    void Publish(ResourceChange change);

    /// <summary>Receives every change published by any instance.</summary>
    IDisposable Subscribe(Action<ResourceChange> handler);
}

/// <summary>One instance: changes go straight to the local handlers.</summary>
public sealed class InProcessChangeBus : IChangeBus
{
    private readonly Lock _gate = new();
    private Action<ResourceChange>[] _handlers = [];

    public void Publish(ResourceChange change)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            handler(change);
        }
    }

    public IDisposable Subscribe(Action<ResourceChange> handler)
    {
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Unsubscriber(() =>
        {
            lock (_gate)
            {
                _handlers = [.. _handlers.Where(h => h != handler)];
            }
        });
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
