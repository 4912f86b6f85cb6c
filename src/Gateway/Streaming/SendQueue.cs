using System.Threading.Channels;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// Everything one long-lived connection sends, in one bounded queue drained by one writer. A client too slow to read
/// fills its queue: the queue refuses it once (<see cref="Enqueue"/> answers <see cref="Overflowed"/>, and the
/// connection cuts that client off); no other client ever waits for it.
/// </summary>
internal sealed class SendQueue<T>(int length)
{
    private readonly Channel<T> _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(length) { SingleReader = true });
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
        while (await reader.WaitToReadAsync(closing))
        {
            while (reader.TryRead(out var item))
            {
                await write(item, closing);
            }

            await flush(closing);
        }
    }
}
