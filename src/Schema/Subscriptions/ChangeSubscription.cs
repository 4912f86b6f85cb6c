using System.Threading.Channels;
using GraphQL;
using Microsoft.Extensions.DependencyInjection;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// One subscription's view of the change stream: changes of one resource type that pass its (possibly asynchronous)
/// filter, each version of each resource at most once and never older than one already delivered, in the stream's
/// order. A client that resumes after an event id (<see cref="ChangeSubscription.LastEventIdExtension"/>) first gets what came after it,
/// through the same filter, then the live changes, without gap or repeat (it follows the stream before it reads the
/// history, and skips live changes the history covered); or, when that cannot be told, <see cref="RefetchRequired"/>.
/// A bounded queue per subscription: a subscriber that cannot keep up loses its oldest changes (and is told to
/// refetch), nobody else waits. Each value goes out with the hub's event (<see cref="ChangeEvent{T}"/>), so every
/// subscriber of one event resolves it through the same shared reads.
/// </summary>
public sealed class ChangeSubscription<T>(
    ChangeHub hub,
    string resourceType,
    Func<ResourceEvent, CancellationToken, ValueTask<bool>> filter,
    Func<ResourceEvent, T> map,
    string? lastEventId = null,
    SubscriptionReplay? replayOnly = null) : IObservable<object>
{
    private const int QueueLength = 1024;

    public IDisposable Subscribe(IObserver<object> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var stop = new CancellationTokenSource();
        if (replayOnly is not null)
        {
            // The live stream comes another way (the group this subscriber joins): what it missed, then complete.
            _ = ReplayOnlyAsync(observer, replayOnly, stop.Token);
            return new Subscription(null, stop);
        }

        var overflowed = 0;
        var queue = Channel.CreateBounded<ResourceEvent>(
            new BoundedChannelOptions(QueueLength) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Volatile.Write(ref overflowed, 1));

        // Live first, then the history: nothing falls between them.
        var following = hub.Follow(e =>
        {
            if (e.ResourceType == resourceType)
            {
                queue.Writer.TryWrite(e);
            }
        });
        _ = PumpAsync(queue.Reader, observer, () => Interlocked.Exchange(ref overflowed, 0) == 1, stop.Token);
        return new Subscription(following, stop);
    }

    private async Task ReplayOnlyAsync(IObserver<object> observer, SubscriptionReplay replay, CancellationToken cancellationToken)
    {
        try
        {
            var through = await ReplayAsync(observer, Offering(observer, cancellationToken), cancellationToken);
            replay.Finish(through);
            observer.OnCompleted();
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

    /// <summary>Hands a change to the observer when it passes the filter and is newer than what this subscription delivered of the resource.</summary>
    private Func<ResourceEvent, Task> Offering(IObserver<object> observer, CancellationToken cancellationToken)
    {
        var delivered = new Dictionary<string, (DateTimeOffset LastUpdated, string? VersionId)>(StringComparer.Ordinal);
        return async change =>
        {
            if (delivered.TryGetValue(change.Id, out var last) &&
                (change.LastUpdated < last.LastUpdated || (change.VersionId == last.VersionId && change.Kind != ChangeKind.Deleted)))
            {
                return; // an older version, or this version again
            }

            if (await filter(change, cancellationToken))
            {
                delivered[change.Id] = (change.LastUpdated, change.VersionId);
                observer.OnNext(new ChangeEvent<T>(map(change), change));
            }
        };
    }

    private async Task PumpAsync(ChannelReader<ResourceEvent> reader, IObserver<object> observer, Func<bool> overflowed, CancellationToken cancellationToken)
    {
        var offer = Offering(observer, cancellationToken);
        try
        {
            var replayedThrough = await ReplayAsync(observer, offer, cancellationToken);
            await foreach (var change in reader.ReadAllAsync(cancellationToken))
            {
                if (overflowed())
                {
                    observer.OnNext(new RefetchRequired(RefetchReason.Overflow, null));
                }

                if (replayedThrough is { } through && change.EventId is { } id && id <= through)
                {
                    continue; // the history had it
                }

                await offer(change);
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

    /// <summary>What the client missed, or the signal to refetch; the newest id this covers.</summary>
    private async Task<ChangeEventId?> ReplayAsync(IObserver<object> observer, Func<ResourceEvent, Task> offer, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(lastEventId))
        {
            return null;
        }

        if (!ChangeEventId.TryParse(lastEventId, out var after))
        {
            observer.OnNext(new RefetchRequired(RefetchReason.UnknownEventId, null));
            return null;
        }

        var (events, head, refetch) = await hub.HistoryAfterAsync(after, cancellationToken);
        if (refetch is { } reason)
        {
            observer.OnNext(new RefetchRequired(reason, head));
            return head;
        }

        foreach (var change in events.Where(e => e.ResourceType == resourceType))
        {
            await offer(change);
        }

        return head;
    }

    private sealed class Subscription(IDisposable? following, CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            following?.Dispose();
            stop.Cancel();
            stop.Dispose();
        }
    }
}

/// <summary>How a subscription field starts its <see cref="ChangeSubscription{T}"/>: the hub, and where the client resumes.</summary>
public static class ChangeSubscription
{
    /// <summary>The subscribe request's extension naming the last event id the client received (SSE: <c>Last-Event-ID</c>).</summary>
    public const string LastEventIdExtension = "lastEventId";

    /// <summary>The extension of each event's result that carries its id (SSE also writes it as the event's <c>id</c>).</summary>
    public const string EventIdExtension = "eventId";

    public static ChangeSubscription<T> For<T>(
        IResolveFieldContext context,
        string resourceType,
        Func<ResourceEvent, CancellationToken, ValueTask<bool>> filter,
        Func<ResourceEvent, T> map)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.RequestServices ?? throw new InvalidOperationException("GraphQL request without services.");
        var lastEventId = context.InputExtensions.TryGetValue(LastEventIdExtension, out var value) ? value as string ?? value?.ToString() : null;
        var replay = services.GetService<SubscriptionReplay>() is { Only: true } only && !string.IsNullOrWhiteSpace(lastEventId) ? only : null;
        return new ChangeSubscription<T>(services.GetRequiredService<ChangeHub>(), resourceType, filter, map, lastEventId, replay);
    }
}
