using CsCheck;
using System.Threading.Channels;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// The change stream's logic without a server: event ids, the in-memory history and its window, and a resuming
/// subscription's replay-then-live merge (each change once, in order, while changes keep coming).
/// </summary>
public sealed class ChangeStreamLogicTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("1732435200000-0", 1732435200000, 0)]
    [InlineData("5-17", 5, 17)]
    public void An_event_id_reads_back_as_written(string text, long ms, long sequence)
    {
        Assert.True(ChangeEventId.TryParse(text, out var id));
        Assert.Equal(new ChangeEventId(ms, sequence), id);
        Assert.Equal(text, id.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("17")]
    [InlineData("-1")]
    [InlineData("1-")]
    [InlineData("a-b")]
    [InlineData("1-2-3")]
    [InlineData("-1--2")]
    [InlineData("99999999999999999999-0")]
    public void Anything_else_is_not_an_event_id(string? text) => Assert.False(ChangeEventId.TryParse(text, out _));

    [Fact]
    public void Ids_only_grow_within_a_millisecond_and_when_the_clock_goes_back()
    {
        var first = ChangeEventId.After(null, T0);
        var same = ChangeEventId.After(first, T0);
        var back = ChangeEventId.After(same, T0.AddSeconds(-5));
        var later = ChangeEventId.After(back, T0.AddMilliseconds(1));
        Assert.True(first < same && same < back && back < later, $"{first} {same} {back} {later}");
    }

    [Fact]
    public void The_history_gives_everything_after_any_kept_id_in_order()
    {
        var history = new ChangeRingBuffer(100, TimeSpan.FromMinutes(5));
        var ids = Enumerable.Range(0, 10).Select(i => history.Append(Change(i), T0.AddMilliseconds(i / 3)).Id!.Value).ToList();
        Assert.Equal(ids.Order(), ids);
        for (var k = 0; k < ids.Count; k++)
        {
            var read = history.ReadAfter(ids[k], T0.AddSeconds(1));
            Assert.Null(read.Refetch);
            Assert.Equal(ids.Skip(k + 1), read.Changes.Select(c => c.Id!.Value));
            Assert.Equal(ids[^1], read.Head);
        }
    }

    [Fact]
    public void Past_its_size_or_age_the_history_says_refetch_and_an_unknown_id_is_unknown()
    {
        var history = new ChangeRingBuffer(3, TimeSpan.FromSeconds(60));
        Assert.Equal(RefetchReason.UnknownEventId, history.ReadAfter(new ChangeEventId(1, 0), T0).Refetch); // nothing given out yet
        var ids = Enumerable.Range(0, 5).Select(i => history.Append(Change(i), T0).Id!.Value).ToList();

        // Three kept: the client's own last event must still be kept.
        Assert.Equal(RefetchReason.Expired, history.ReadAfter(ids[0], T0).Refetch);
        Assert.Equal(RefetchReason.Expired, history.ReadAfter(ids[1], T0).Refetch);
        Assert.Equal(ids[3..], history.ReadAfter(ids[2], T0).Changes.Select(c => c.Id!.Value));

        // An id after the newest, or from before this stream began, cannot be placed.
        Assert.Equal(RefetchReason.UnknownEventId, history.ReadAfter(ids[^1].Next, T0).Refetch);

        // Past the window: nothing is kept, yet a client that had the newest event has missed nothing.
        var later = T0.AddSeconds(61);
        Assert.Equal(RefetchReason.Expired, history.ReadAfter(ids[3], later).Refetch);
        Assert.Equal(0, history.Count);
        var current = history.ReadAfter(ids[^1], later);
        Assert.Null(current.Refetch);
        Assert.Empty(current.Changes);
    }

    /// <summary>
    /// A change that went out without being recorded (the stream could not be written) is lost to every replay: a
    /// client whose last event is at or before it must be told to refetch, whatever the stream holds, its head
    /// included (a client that had the head when the write failed, with nothing recorded since); one after it is not.
    /// </summary>
    [Fact]
    public void A_client_that_may_have_missed_an_unrecorded_change_is_always_told_to_refetch_never_given_less()
    {
        var id = Gen.Select(Gen.Long[1, 40], Gen.Long[0, 3], (ms, seq) => new ChangeEventId(T0.ToUnixTimeMilliseconds() + ms, seq));
        Gen.Select(id, id, id, id).Sample((after, head, oldest, gap) =>
        {
            var placed = ChangeHistory.Place(after, head, oldest, T0.AddSeconds(1), TimeSpan.FromMinutes(15), gap);
            if (after <= head && after <= gap)
            {
                Assert.Equal(RefetchReason.Expired, placed);
            }
            else
            {
                Assert.Equal(ChangeHistory.Place(after, head, oldest, T0.AddSeconds(1), TimeSpan.FromMinutes(15)), placed);
            }
        });

        // The case that was missed: the client had the head, the next write failed, nothing was recorded since.
        var last = new ChangeEventId(T0.ToUnixTimeMilliseconds(), 0);
        Assert.Equal(RefetchReason.Expired, ChangeHistory.Place(last, last, last, T0, TimeSpan.FromMinutes(15), unrecordedAfter: last));
    }

    [Fact]
    public async Task A_resuming_subscription_gets_each_change_after_its_id_once_and_in_order_while_changes_keep_coming()
    {
        ChangeHub? hub = null;
        // Changes published after the subscription follows the stream and before it reads the history are in both.
        var bus = new OverlappingBus(new InProcessChangeBus(Options.Create(new ChangeHistoryOptions()), TimeProvider.System), async () =>
        {
            for (var i = 20; i < 30; i++)
            {
                await hub!.PublishAsync(CreatedOrDeleted(i));
            }
        });
        hub = new ChangeHub(bus, new GatewayInstance(), TimeProvider.System, NullLogger<ChangeHub>.Instance);
        var ids = new List<ChangeEventId>();
        using var recording = hub.Follow(e => ids.Add(e.EventId!.Value));
        for (var i = 0; i < 20; i++)
        {
            await hub.PublishAsync(CreatedOrDeleted(i));
        }

        // Resume after the 10th; 190 more changes come from another thread meanwhile.
        var resumeAfter = ids[9].ToString();
        var received = Channel.CreateUnbounded<object>();
        var subscription = new ChangeSubscription<string>(hub, "Slot", (_, _) => ValueTask.FromResult(true), e => $"{e.Id} {e.Kind}", resumeAfter);
        using var subscribed = subscription.Subscribe(new Collector(received.Writer));
        await System.Threading.Tasks.Task.Run(async () =>
        {
            for (var i = 30; i < 220; i++)
            {
                await hub.PublishAsync(CreatedOrDeleted(i));
            }
        });

        var got = new List<ChangeEvent<string>>();
        while (got.Count < 210)
        {
            got.Add(Assert.IsType<ChangeEvent<string>>(await received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10))));
        }

        Assert.Equal(Enumerable.Range(10, 210).Select(CreatedOrDeleted).Select(c => $"{c.Id} {c.Kind}"), got.Select(e => e.Value));
        Assert.Equal(ids[10..], got.Select(e => e.Change.EventId!.Value));
        await System.Threading.Tasks.Task.Delay(100);
        Assert.False(received.Reader.TryRead(out var extra), "a change came twice: " + extra);
        hub.Dispose();
    }

    [Fact]
    public async Task A_subscription_that_falls_too_far_behind_is_told_to_refetch()
    {
        var bus = new InProcessChangeBus(Options.Create(new ChangeHistoryOptions()), TimeProvider.System);
        using var hub = new ChangeHub(bus, new GatewayInstance(), TimeProvider.System, NullLogger<ChangeHub>.Instance);
        using var stuck = new SemaphoreSlim(0);
        var received = Channel.CreateUnbounded<object>();
        var subscription = new ChangeSubscription<string>(hub, "Slot", async (_, token) =>
        {
            await stuck.WaitAsync(token);
            return true;
        }, e => e.Id);
        using var subscribed = subscription.Subscribe(new Collector(received.Writer));
        for (var i = 0; i < 1100; i++)
        {
            await hub.PublishAsync(Change(i));
        }

        stuck.Release(2000);
        // Whether the first change reached the stuck filter before the queue overflowed depends on scheduling: the
        // refetch signal comes within the first two items either way, and nothing else does.
        var first = await received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var signal = first as RefetchRequired ?? Assert.IsType<RefetchRequired>(await received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(first is RefetchRequired or ChangeEvent<string>, $"unexpected {first}");
        Assert.Equal(RefetchReason.Overflow, signal.Reason);
    }

    private static ResourceChange Change(int i, ChangeKind kind = ChangeKind.Created) => ResourceChange.From(new Slot
    {
        Id = "s" + i,
        Meta = new Meta { VersionId = "1", LastUpdated = T0 },
        Status = Slot.SlotStatus.Free,
    }, kind, "test");

    /// <summary>Slots made and deleted in turn: a deletion carries the version it deletes, so only its id tells it from a repeat.</summary>
    private static ResourceChange CreatedOrDeleted(int i) => i % 2 == 0 ? Change(i) : Change(i - 1, ChangeKind.Deleted);

    /// <summary>A bus that runs <paramref name="beforeRead"/> when a resuming subscriber reads the history (once).</summary>
    private sealed class OverlappingBus(InProcessChangeBus inner, Func<System.Threading.Tasks.Task> beforeRead) : IChangeBus
    {
        private Func<System.Threading.Tasks.Task>? _beforeRead = beforeRead;

        public System.Threading.Tasks.Task PublishAsync(ResourceChange change) => inner.PublishAsync(change);

        public System.Threading.Tasks.Task PublishAllAsync(IReadOnlyList<ResourceChange> changes) => inner.PublishAllAsync(changes);

        public IDisposable Subscribe(Action<RecordedChange> handler) => inner.Subscribe(handler);

        public async Task<ChangeHistory> ReadAfterAsync(ChangeEventId after, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _beforeRead, null) is { } run)
            {
                await run();
            }

            return await inner.ReadAfterAsync(after, cancellationToken);
        }
    }

    private sealed class Collector(ChannelWriter<object> writer) : IObserver<object>
    {
        public void OnNext(object value) => writer.TryWrite(value);

        public void OnError(Exception error) => writer.TryComplete(error);

        public void OnCompleted() => writer.TryComplete();
    }
}
