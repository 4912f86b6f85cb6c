using Microsoft.Extensions.DependencyInjection;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Waits for a test's OWN subscriptions: a mark of who receives the gateway's events before the test subscribes
/// (<see cref="Subscribers"/>), then the subscribers that were not there then. A count of listeners compared with a
/// number read before cannot tell the test's subscriber from another's: when one of an earlier test's subscribers
/// left while the test waited (a gateway shared by a class), the count stayed where it was and the test timed out
/// with its subscription live; and a count can rise a step before the subscriber is attached. A subscriber here is
/// attached to an execution that follows the change stream (<see cref="SubscriptionGroups.Receivers"/>): every
/// subscription runs in a group unless <c>Subscriptions:ShareExecutions</c> is off, which no test using these waits does.
/// </summary>
public static class GatewayWaits
{
    /// <summary>Who receives the gateway's events now; the subscribers a test adds after this are told apart from them.</summary>
    public static SubscriberMark Subscribers(this GatewayServer gateway) => new([.. Receivers(gateway).Select(s => s.Receiver)]);

    /// <summary>The subscribers receiving the gateway's events now that were not there at the mark.</summary>
    public static IReadOnlyList<Subscriber> SubscribedSince(this GatewayServer gateway, SubscriberMark mark)
    {
        ArgumentNullException.ThrowIfNull(mark);
        return [.. Receivers(gateway).Where(s => !mark.Had(s.Receiver))];
    }

    /// <summary>Waits until <paramref name="more"/> subscribers not there at the mark receive the gateway's events: the test's subscriptions are live. Returns them.</summary>
    public static Task<IReadOnlyList<Subscriber>> UntilSubscribedAsync(this GatewayServer gateway, SubscriberMark mark, int more = 1) =>
        UntilAsync(gateway, mark, since => since.Count >= more, $"the subscription did not start: expected {more} new subscriber(s) (a client refused or failed says so on its own stream)");

    /// <summary>Waits until at most <paramref name="staying"/> of the subscribers added since the mark still receive events: the others are gone from the gateway.</summary>
    public static Task<IReadOnlyList<Subscriber>> UntilUnsubscribedAsync(this GatewayServer gateway, SubscriberMark mark, int staying = 0) =>
        UntilAsync(gateway, mark, since => since.Count <= staying, $"the subscriptions did not end: expected at most {staying} of those since the mark");

    /// <summary>The hub's followers and listeners as they are: a group of identical subscribers is one (for a test of its own gateway).</summary>
    public static int HubListeners(this GatewayServer gateway) => gateway.Services.GetRequiredService<ChangeHub>().ListenerCount;

    private static async Task<IReadOnlyList<Subscriber>> UntilAsync(GatewayServer gateway, SubscriberMark mark, Func<IReadOnlyList<Subscriber>, bool> done, string failure)
    {
        // Returns as soon as it holds; the ceiling (600 turns of 25 ms or more) is for a loaded CI machine starting Node peers.
        var since = gateway.SubscribedSince(mark);
        for (var i = 0; i < 600 && !done(since); i++)
        {
            await Task.Delay(25);
            since = gateway.SubscribedSince(mark);
        }

        Assert.True(done(since), $"{failure}; {since.Count} now");
        return since;
    }

    private static IEnumerable<Subscriber> Receivers(GatewayServer gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return gateway.Services.GetRequiredService<SubscriptionGroups>().Receivers().Select(r => new Subscriber(r.Execution, r.Receiver));
    }
}

/// <summary>Who received a gateway's events at one moment (<see cref="GatewayWaits.Subscribers"/>), each subscriber by its own identity.</summary>
public sealed class SubscriberMark
{
    private readonly HashSet<object> _receivers;

    internal SubscriberMark(IEnumerable<object> receivers) => _receivers = new HashSet<object>(receivers, ReferenceEqualityComparer.Instance);

    internal bool Had(object receiver) => _receivers.Contains(receiver);
}

/// <summary>One subscriber receiving a gateway's events: its own observer, and the execution it shares with identical subscribers.</summary>
public sealed record Subscriber(object Execution, object Receiver);
