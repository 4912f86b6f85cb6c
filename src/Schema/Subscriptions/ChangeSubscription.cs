using System.Threading.Channels;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// One subscription's view of the hub: changes of one resource type that pass its (possibly asynchronous) filter,
/// each version of each resource at most once and never older than one already delivered, in order.
/// A bounded queue per subscription: a subscriber that cannot keep up loses its oldest changes, nobody else waits.
/// Each value goes out with the hub's event (<see cref="ChangeEvent{T}"/>), so every subscriber of one event
/// resolves it through the same shared reads.
/// </summary>
public sealed class ChangeSubscription<T>(
    ChangeHub hub,
    string resourceType,
    Func<ResourceEvent, CancellationToken, ValueTask<bool>> filter,
    Func<ResourceEvent, T> map) : IObservable<ChangeEvent<T>>
{
    private const int QueueLength = 1024;

    public IDisposable Subscribe(IObserver<ChangeEvent<T>> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var queue = Channel.CreateBounded<ResourceEvent>(new BoundedChannelOptions(QueueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        var stop = new CancellationTokenSource();
        var listening = hub.Listen(e =>
        {
            if (e.ResourceType == resourceType)
            {
                queue.Writer.TryWrite(e);
            }
        });
        _ = PumpAsync(queue.Reader, observer, stop.Token);
        return new Subscription(listening, stop);
    }

    private async Task PumpAsync(ChannelReader<ResourceEvent> reader, IObserver<ChangeEvent<T>> observer, CancellationToken cancellationToken)
    {
        var delivered = new Dictionary<string, (DateTimeOffset LastUpdated, string? VersionId)>(StringComparer.Ordinal);
        try
        {
            await foreach (var change in reader.ReadAllAsync(cancellationToken))
            {
                if (delivered.TryGetValue(change.Id, out var last) &&
                    (change.LastUpdated < last.LastUpdated || (change.VersionId == last.VersionId && change.Kind != ChangeKind.Deleted)))
                {
                    continue; // an older version, or this version again
                }

                if (!await filter(change, cancellationToken))
                {
                    continue;
                }

                delivered[change.Id] = (change.LastUpdated, change.VersionId);
                observer.OnNext(new ChangeEvent<T>(map(change), change));
            }
        }
        catch (OperationCanceledException)
        {
            // unsubscribed
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            observer.OnError(e);
        }
    }

    private sealed class Subscription(IDisposable listening, CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            listening.Dispose();
            stop.Cancel();
            stop.Dispose();
        }
    }
}
