using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// Carries resource changes to every gateway instance, this one included, as one stream that keeps its recent
/// history: every change gets an id, handlers receive them in id order, and a resuming subscriber reads what came
/// after its last one.
/// </summary>
public interface IChangeBus
{
    /// <summary>Records a change and sends it to all instances; delivery to this instance never depends on the transport.</summary>
    Task PublishAsync(ResourceChange change);

    /// <summary>
    /// Records the changes of one write together: next to each other in the stream, each marked with how many of
    /// them follow it (<see cref="RecordedChange.FollowedBy"/>), so every instance hears the whole write at once.
    /// </summary>
    Task PublishAllAsync(IReadOnlyList<ResourceChange> changes);

    /// <summary>
    /// Receives every change published by any instance, in the stream's order, each once; the changes of one write
    /// one after another, nothing between them, each with how many of them follow it down to 0 (counting only those
    /// handed on: a reader that cannot read an entry of the write counts without it).
    /// </summary>
    IDisposable Subscribe(Action<RecordedChange> handler);

    /// <summary>What came after <paramref name="after"/>, or why it cannot be told; never throws for the stream's state.</summary>
    Task<ChangeHistory> ReadAfterAsync(ChangeEventId after, CancellationToken cancellationToken);
}

/// <summary>The handlers of a bus on this instance.</summary>
internal sealed class ChangeHandlers
{
    private readonly Lock _gate = new();
    private Action<RecordedChange>[] _handlers = [];

    public void Deliver(RecordedChange change)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            handler(change);
        }
    }

    public IDisposable Add(Action<RecordedChange> handler)
    {
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Unsubscriber(this, handler);
    }

    private sealed class Unsubscriber(ChangeHandlers handlers, Action<RecordedChange> handler) : IDisposable
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

/// <summary>One instance: changes go straight to the local handlers, and the history is a ring buffer in memory.</summary>
public sealed class InProcessChangeBus(IOptions<ChangeHistoryOptions> options, TimeProvider time) : IChangeBus
{
    private readonly ChangeHandlers _handlers = new();
    private readonly Lock _gate = new();
    private readonly ChangeRingBuffer _history = new(options.Value.MaxRetainedEvents, TimeSpan.FromSeconds(options.Value.RetentionSeconds));

    public Task PublishAsync(ResourceChange change)
    {
        // Under one lock: ids are handed out, kept and delivered in the same order.
        lock (_gate)
        {
            _handlers.Deliver(_history.Append(change, time.GetUtcNow()));
        }

        return Task.CompletedTask;
    }

    public Task PublishAllAsync(IReadOnlyList<ResourceChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        lock (_gate)
        {
            var now = time.GetUtcNow();
            for (var i = 0; i < changes.Count; i++)
            {
                _handlers.Deliver(_history.Append(changes[i], now) with { FollowedBy = changes.Count - 1 - i });
            }
        }

        return Task.CompletedTask;
    }

    public IDisposable Subscribe(Action<RecordedChange> handler) => _handlers.Add(handler);

    public Task<ChangeHistory> ReadAfterAsync(ChangeEventId after, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_history.ReadAfter(after, time.GetUtcNow()));
        }
    }
}
