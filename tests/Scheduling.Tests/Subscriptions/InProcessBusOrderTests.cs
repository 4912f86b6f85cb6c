using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;
using static Scheduling.Tests.Subscriptions.RedisBusSteps;

namespace Scheduling.Tests.Subscriptions;

/// <summary>Review 12 probes of the in-process change bus's delivery (Handlers&lt;T&gt;): reentrancy and unsubscription.</summary>
public sealed class InProcessBusOrderTests
{
    private static InProcessChangeBus NewBus() => new(Options.Create(new ChangeHistoryOptions()), TimeProvider.System);

    /// <summary>
    /// A subscriber that publishes while handling a change (on the same thread): the other subscriber must still see
    /// each write's changes together and in the bus's id order (A0 A1 A2 then B0), not B0 in the middle of write A.
    /// </summary>
    [Fact]
    public async Task A_subscriber_that_publishes_while_handling_does_not_interleave_writes_for_others()
    {
        var bus = NewBus();
        var seen = new List<string>();
        var published = false;
        using var writer = bus.Subscribe(c =>
        {
            if (!published && c.Change.Id == "A0")
            {
                published = true;
                bus.PublishAllAsync([Change("B0")]).GetAwaiter().GetResult();
            }
        });
        using var watcher = bus.Subscribe(c => seen.Add(c.Change.Id));

        await bus.PublishAllAsync([Change("A0"), Change("A1"), Change("A2")]);

        Assert.Equal(["A0", "A1", "A2", "B0"], seen);
    }

    /// <summary>The same handler subscribed twice and one subscription disposed: the other still receives.</summary>
    [Fact]
    public async Task Disposing_one_of_two_subscriptions_of_the_same_handler_keeps_the_other()
    {
        var bus = NewBus();
        var count = 0;
        Action<RecordedChange> handler = _ => count++;
        var first = bus.Subscribe(handler);
        using var second = bus.Subscribe(handler);
        first.Dispose();

        await bus.PublishAsync(Change("x"));

        Assert.Equal(1, count);
    }

    /// <summary>A subscriber that disposes its own subscription while handling: the others receive the whole write.</summary>
    [Fact]
    public async Task A_subscriber_that_unsubscribes_itself_mid_write_cuts_no_one_short()
    {
        var bus = NewBus();
        var seen = new List<string>();
        IDisposable? self = null;
        self = bus.Subscribe(_ => self?.Dispose());
        using var watcher = bus.Subscribe(c => seen.Add(c.Change.Id));

        await bus.PublishAllAsync([Change("A0"), Change("A1")]);

        Assert.Equal(["A0", "A1"], seen);
    }
}
