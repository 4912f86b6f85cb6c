using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
    /// handed on: a reader that cannot read an entry of the write counts without it). This holds whatever fails on the
    /// way: a read of the transport (retried from where the reader stands, in the middle of a write or not), or a
    /// subscriber, this one or another, throwing on a change (its fault stays with it: <see cref="Handlers{T}"/>).
    /// </summary>
    IDisposable Subscribe(Action<RecordedChange> handler);

    /// <summary>What came after <paramref name="after"/>, or why it cannot be told; never throws for the stream's state.</summary>
    Task<ChangeHistory> ReadAfterAsync(ChangeEventId after, CancellationToken cancellationToken);
}

/// <summary>One instance: changes go straight to the local handlers, and the history is a ring buffer in memory.</summary>
public sealed partial class InProcessChangeBus(IOptions<ChangeHistoryOptions> options, TimeProvider time, ILogger<InProcessChangeBus>? logger = null) : IChangeBus
{
    private readonly Handlers<RecordedChange> _handlers = new(e => LogHandlerFailed(logger ?? NullLogger<InProcessChangeBus>.Instance, e));
    private readonly Lock _gate = new();
    private readonly ChangeRingBuffer _history = new(options.Value.MaxRetainedEvents, TimeSpan.FromSeconds(options.Value.RetentionSeconds));
    private readonly Queue<RecordedChange> _undelivered = new();
    private bool _delivering;

    public Task PublishAsync(ResourceChange change) => PublishAllAsync([change]);

    public Task PublishAllAsync(IReadOnlyList<ResourceChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);

        // Under one lock: ids are handed out, kept and delivered in the same order; the whole write is kept before
        // any of it is handed on. A handler that publishes while handling (the lock lets its thread back in) only
        // queues its write: the delivery under way hands it on after the changes before it, so every handler sees
        // the stream in id order.
        lock (_gate)
        {
            var now = time.GetUtcNow();
            for (var i = 0; i < changes.Count; i++)
            {
                _undelivered.Enqueue(_history.Append(changes[i], now) with { FollowedBy = changes.Count - 1 - i });
            }

            if (_delivering)
            {
                return Task.CompletedTask;
            }

            _delivering = true;
            try
            {
                while (_undelivered.TryDequeue(out var change))
                {
                    _handlers.Deliver(change);
                }
            }
            finally
            {
                _delivering = false;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber of the change bus failed on a change; the others and its next changes are delivered all the same")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}
