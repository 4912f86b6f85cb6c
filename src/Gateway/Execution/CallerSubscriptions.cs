using System.Net;
using System.Security.Claims;
using GraphQL;
using Microsoft.Extensions.Options;

namespace Scheduling.Gateway.Execution;

/// <summary>
/// The subscriptions open on this instance, whatever the transport and connection, held to two caps: each caller's
/// (<see cref="SubscriptionOptions.MaxPerCaller"/>) and the instance's (<see cref="SubscriptionOptions.MaxPerInstance"/>).
/// The execution pipeline takes a place before a subscription runs (the one admission every transport goes through)
/// and the place is given back when its stream ends (the client completes it, its connection closes, or it never got
/// under way). Callers are told apart as the rate limit does (<see cref="CallerRateLimiter.PartitionOf"/>).
/// </summary>
internal sealed class CallerSubscriptions(IOptions<SubscriptionOptions> options)
{
    public const string TooManySubscriptions = "TOO_MANY_SUBSCRIPTIONS";

    public const string AtCapacity = "SUBSCRIPTIONS_AT_CAPACITY";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>Subscriptions open on this instance, all callers together.</summary>
    public int Open
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>A place for one more subscription of this caller (dispose it when the subscription ends), or why not: the caller's cap, or the instance's.</summary>
    public (IDisposable? Place, OperationRefused? Refused) Take(ClaimsPrincipal caller, IPAddress? address)
    {
        var partition = CallerRateLimiter.PartitionOf(caller, address);
        lock (_gate)
        {
            var open = _open.GetValueOrDefault(partition);
            if (open >= options.Value.MaxPerCaller)
            {
                return (null, new OperationRefused(429, TooManySubscriptions,
                    $"This caller already has {options.Value.MaxPerCaller} subscriptions open, the most one caller may across all its connections; complete one first."));
            }

            if (_total >= options.Value.MaxPerInstance)
            {
                return (null, new OperationRefused(503, AtCapacity,
                    $"This gateway instance holds {options.Value.MaxPerInstance} subscriptions, the most it takes; subscribe again later or on another instance."));
            }

            _open[partition] = open + 1;
            _total++;
        }

        return (new Place(this, partition), null);
    }

    /// <summary>The subscriptions this caller has open (for tests and diagnostics).</summary>
    public int OpenBy(ClaimsPrincipal caller, IPAddress? address)
    {
        lock (_gate)
        {
            return _open.GetValueOrDefault(CallerRateLimiter.PartitionOf(caller, address));
        }
    }

    /// <summary>The stream of a subscription holding <paramref name="place"/>: the place is given back when the subscriber unsubscribes, or when it is disposed unsubscribed.</summary>
    public static IObservable<ExecutionResult> Holding(IObservable<ExecutionResult> stream, IDisposable place) => new HeldStream(stream, place);

    private void Give(string partition)
    {
        lock (_gate)
        {
            _total--;
            if (_open.GetValueOrDefault(partition) <= 1)
            {
                _open.Remove(partition);
            }
            else
            {
                _open[partition]--;
            }
        }
    }

    private sealed class Place(CallerSubscriptions owner, string partition) : IDisposable
    {
        private int _given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _given, 1) == 0)
            {
                owner.Give(partition);
            }
        }
    }

    private sealed class HeldStream(IObservable<ExecutionResult> stream, IDisposable place) : IObservable<ExecutionResult>, IDisposable
    {
        /// <summary>Subscribes; if that fails, the place (and whatever the stream holds) is given back, as if never subscribed.</summary>
        public IDisposable Subscribe(IObserver<ExecutionResult> observer)
        {
            IDisposable subscription;
            try
            {
                subscription = stream.Subscribe(observer);
            }
            catch
            {
                Dispose();
                throw;
            }

            return new Subscription(subscription, place);
        }

        public void Dispose()
        {
            (stream as IDisposable)?.Dispose();
            place.Dispose();
        }

        private sealed class Subscription(IDisposable subscription, IDisposable place) : IDisposable
        {
            public void Dispose()
            {
                subscription.Dispose();
                place.Dispose();
            }
        }
    }
}
