using System.Threading.Channels;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// Everything one long-lived connection sends, in one bounded queue drained by one writer. A client too slow to read
/// fills its queue: the queue refuses it once (<see cref="Enqueue"/> answers <see cref="Overflowed"/>, and the
/// connection cuts that client off); no other client ever waits for it.
/// <para>
/// A message queued while the writer is idle is written by the thread that queues it, up to the first write that has
/// to wait (then the writer carries on by itself): an event fanned out to thousands of connections costs no
/// thread-pool hop per connection. So <see cref="Enqueue"/> must not be called under a lock the writing could need.
/// </para>
/// </summary>
internal sealed class SendQueue<T>(int length)
{
    private readonly Channel<T> _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(length) { SingleReader = true, AllowSynchronousContinuations = true });
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
        if (_channel.Writer.TryWrite(item))
        {
            return Outcome.Queued;
        }

        if (Interlocked.Exchange(ref _overflowed, 1) == 1 || !_channel.Writer.TryComplete())
        {
            return Outcome.Closed;
        }

        return Outcome.Overflowed;
    }

    /// <summary>Nothing more is queued; <see cref="DrainAsync"/> ends once what is queued is written.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Writes what is queued, in order, flushing whenever the queue is empty, until it is completed or <paramref name="closing"/>.</summary>
    public async Task DrainAsync(Func<T, CancellationToken, ValueTask> write, Func<CancellationToken, ValueTask> flush, CancellationToken closing)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(flush);
        var reader = _channel.Reader;
        // Waiting without a token reuses the channel's one waiter (a cancellable wait allocates one per wake-up): the
        // closing token completes the queue instead, once.
        await using var closed = closing.Register(static queue => ((SendQueue<T>)queue!).Complete(), this);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            closing.ThrowIfCancellationRequested();
            while (reader.TryRead(out var item))
            {
                await write(item, closing);
            }

            await flush(closing);
        }
    }
}
