using System.Collections.Concurrent;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// Everything one long-lived connection sends, in one bounded queue written by one writer at a time, in order. A
/// client too slow to read fills its queue: the queue refuses it once (<see cref="Enqueue"/> answers
/// <see cref="Outcome.Overflowed"/>, and the connection cuts that client off); no other client ever waits for it.
/// <para>
/// A message queued while nothing is being written is written by the thread that queues it, up to the first write
/// that has to wait (then the writer carries on by itself when that write is done): an event fanned out to thousands
/// of connections costs each one a queue slot and its write, not a thread-pool hop, a channel's locks or an awaiter's
/// wake-up. Whoever finds the writer's place free takes it; the one that gives it back looks
/// once more, so nothing queued meanwhile is left behind. So <see cref="Enqueue"/> must not be called under a lock
/// the writing could need.
/// </para>
/// </summary>
internal sealed class SendQueue<T>(int length)
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<T, CancellationToken, ValueTask>? _write;
    private Func<CancellationToken, ValueTask>? _flush;
    private CancellationToken _closing;
    private int _count;
    private int _writing;
    private int _attached;
    private int _completed;
    private int _overflowed;

    public enum Outcome
    {
        Queued,

        /// <summary>Completed (the connection is ending): dropped.</summary>
        Closed,

        /// <summary>The queue was full: the client does not read. Answered once; the queue is completed.</summary>
        Overflowed,
    }

    public int Length => length;

    public Outcome Enqueue(T item)
    {
        if (Volatile.Read(ref _completed) == 1)
        {
            return Outcome.Closed;
        }

        if (Interlocked.Increment(ref _count) > length)
        {
            Interlocked.Decrement(ref _count);
            if (Interlocked.Exchange(ref _overflowed, 1) == 1 || Interlocked.Exchange(ref _completed, 1) == 1)
            {
                return Outcome.Closed;
            }

            Pump();
            return Outcome.Overflowed;
        }

        _items.Enqueue(item); // a full fence: the writer's attachment below is read after the item is in
        Pump();
        return Outcome.Queued;
    }

    /// <summary>Nothing more is queued; <see cref="DrainAsync"/> ends once what is queued is written.</summary>
    public void Complete()
    {
        Interlocked.Exchange(ref _completed, 1);
        Pump();
    }

    /// <summary>
    /// Writes what is queued, in order, flushing whenever the queue is empty, until it is completed or
    /// <paramref name="closing"/> (then what is still queued is not written). Attached once; what was queued before
    /// is written now.
    /// </summary>
    public async Task DrainAsync(Func<T, CancellationToken, ValueTask> write, Func<CancellationToken, ValueTask> flush, CancellationToken closing)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(flush);
        (_write, _flush, _closing) = (write, flush, closing);
        if (Interlocked.Exchange(ref _attached, 1) == 1)
        {
            throw new InvalidOperationException("The queue already has its writer.");
        }

        // Closing completes the queue (ending an idle writer at once); a write under way is cut by the token itself.
        await using var closed = closing.Register(static queue => ((SendQueue<T>)queue!).Complete(), this);
        Pump();
        await _ended.Task;
    }

    /// <summary>Writes on this thread if the writer's place is free (and the writer attached); else whoever holds it writes this too.</summary>
    private void Pump()
    {
        if (Volatile.Read(ref _attached) == 1 && Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            _ = WriteAsync();
        }
    }

    /// <summary>Holding the writer's place: writes until the queue is empty, then gives the place back (or keeps it for good once the queue has ended).</summary>
    private async Task WriteAsync()
    {
        try
        {
            while (true)
            {
                var wrote = false;
                while (_items.TryDequeue(out var item))
                {
                    Interlocked.Decrement(ref _count);
                    _closing.ThrowIfCancellationRequested();
                    await _write!(item, _closing);
                    wrote = true;
                }

                if (wrote)
                {
                    await _flush!(_closing);
                }

                if (Volatile.Read(ref _completed) == 1 && _items.IsEmpty)
                {
                    _ended.TrySetResult(); // the place is kept: nothing is written any more
                    return;
                }

                // Given back with a full fence, then one more look: what was queued (or completed) while the place
                // was held went unwritten by its own caller.
                Interlocked.Exchange(ref _writing, 0);
                if ((_items.IsEmpty && Volatile.Read(ref _completed) == 0) || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The connection failed or is closing: nothing more is written, the place is kept for good.
            Interlocked.Exchange(ref _completed, 1);
            if (e is OperationCanceledException cancelled)
            {
                _ended.TrySetCanceled(cancelled.CancellationToken);
            }
            else
            {
                _ended.TrySetException(e);
            }
        }
    }
}
