using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;
using static Scheduling.Tests.Subscriptions.RedisBusSteps;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// A write's changes (one FHIR transaction: a cancelled appointment and its freed slot) reach every instance as one
/// write: next to each other in the stream, and all heard (carried) before the first is handed to the followers, so an
/// event of the write never resolves another of its resources in the version before it. On the writing instance
/// <see cref="ChangeHub.PublishAllAsync"/> hears them first; these tests are about the other instances.
/// </summary>
public sealed class WriteBoundaryTests
{
    [Fact]
    public async System.Threading.Tasks.Task On_another_instance_a_transactions_first_event_finds_its_other_resources_carried()
    {
        await using var b = await RedisBusUnderTest.StartAsync("writes");
        using var connectionA = Connection(b.Redis, b.Stream);
        using var busA = Bus(connectionA, b.Stream);
        using var hubA = Hub(busA);
        var hubB = b.Hub;

        // What B's followers see of the slot when the appointment's event reaches them.
        var slotSeenWithAppointment = new ConcurrentQueue<string?>();
        using var follower = hubB.Follow(e =>
        {
            if (e.ResourceType == "Appointment" && e.Id.StartsWith("cancelled", StringComparison.Ordinal))
            {
                slotSeenWithAppointment.Enqueue(hubB.Carried.TryGet(new FhirReference("Slot", "freed" + e.Id["cancelled".Length..]), out var slot)
                    ? ((Slot)slot!).Status?.ToString()
                    : "not carried");
            }
        });

        // Other writes go on at the same time on A's connection: none may fall between a write's entries.
        using var stop = new CancellationTokenSource();
        var noise = System.Threading.Tasks.Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await busA.PublishAsync(Change("noise" + i));
            }
        });
        for (var i = 0; i < 20; i++)
        {
            await hubA.PublishAllAsync([Cancelled(i), Freed(i)]);
        }

        await stop.CancelAsync();
        await noise;
        await UntilAsync(() => slotSeenWithAppointment.Count == 20);
        Assert.All(slotSeenWithAppointment, status => Assert.Equal("Free", status));

        var entries = b.Heard.ToList();
        for (var i = 0; i < 20; i++)
        {
            var at = entries.FindIndex(c => c.Change.Id == "cancelled" + i);
            Assert.Equal(1, entries[at].FollowedBy);
            Assert.Equal("freed" + i, entries[at + 1].Change.Id); // next to each other in the stream
            Assert.Equal(0, entries[at + 1].FollowedBy);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task A_write_whose_last_entry_is_unreadable_is_still_followed_on_a_quiet_stream()
    {
        await using var test = await RedisBusUnderTest.StartAsync("unreadable");

        // A cancellation and its freed slot as one write, the slot's entry unreadable (written by hand, as no gateway
        // writes it); then nothing more: the cancellation must not wait for a later write to be handed on.
        await test.WriteByHandAsync("cancelled1", null);

        await UntilAsync(() => test.Followed.Contains("cancelled1")); // the reader polls every second
        Assert.Equal(0, test.Heard.Single(c => c.Change.Id == "cancelled1").FollowedBy);
    }

    /// <summary>The bus's side of the rule <see cref="ChangeHub"/> holds a write back by (<see cref="IChangeBus.Subscribe"/>), in one process.</summary>
    [Fact]
    public async System.Threading.Tasks.Task The_in_process_bus_hands_a_writes_changes_on_one_after_another_counting_down_to_its_last()
    {
        var bus = new InProcessChangeBus(Options.Create(new ChangeHistoryOptions()), TimeProvider.System);
        var heard = new ConcurrentQueue<RecordedChange>();
        using var watch = bus.Subscribe(heard.Enqueue);
        var writes = Enumerable.Range(0, 40).Select(w => Enumerable.Range(0, 1 + (w % 4)).Select(j => $"w{w}-{j}").ToArray()).ToList();

        // Writes of 1 to 4 changes and single changes, published at once from many threads.
        await System.Threading.Tasks.Task.WhenAll(writes.Select(w => System.Threading.Tasks.Task.Run(() => bus.PublishAllAsync([.. w.Select(Change)])))
            .Concat(Enumerable.Range(0, 40).Select(i => System.Threading.Tasks.Task.Run(() => bus.PublishAsync(Change("single" + i))))));

        AssertWritesHandedOnTogether([.. heard], writes);
    }

    /// <summary>
    /// The same rule over Redis, where an entry of a write may be unreadable (written by hand, as no gateway writes
    /// it): first, in the middle, last, or all of them. The readable ones still come one after another, counted
    /// without the unreadable ones, and the hub follows each of them without waiting for a later write.
    /// </summary>
    [Fact]
    public async System.Threading.Tasks.Task The_Redis_reader_hands_a_writes_readable_changes_on_one_after_another_counting_down_to_its_last()
    {
        await using var test = await RedisBusUnderTest.StartAsync("contract");
        string?[][] written = [["a1", null, "a3"], [null, "b2", "b3"], ["c1", "c2", null], [null, null], ["d1"]];
        foreach (var write in written)
        {
            await test.WriteByHandAsync(write);
        }

        await test.Bus.PublishAllAsync([Change("e1"), Change("e2"), Change("e3")]);
        var readable = written.Select(w => w.OfType<string>().ToArray()).Where(w => w.Length > 0).Append(["e1", "e2", "e3"]).ToList();
        await UntilAsync(() => readable.All(w => w.All(test.Followed.Contains))); // the reader polls every second
        AssertWritesHandedOnTogether([.. test.Heard], readable);
    }

    /// <summary>
    /// A bus's deliveries keep each write's changes together: the readable changes of each of <paramref name="writes"/>
    /// one after another, in order, each with how many follow it down to 0; and no change says more follow than do.
    /// </summary>
    internal static void AssertWritesHandedOnTogether(IReadOnlyList<RecordedChange> delivered, IEnumerable<string[]> writes)
    {
        var recorded = delivered.Where(c => c.Id is not null).ToList();
        foreach (var write in writes)
        {
            var at = recorded.FindIndex(c => c.Change.Id == write[0]);
            Assert.True(at >= 0, $"{write[0]} was not handed on");
            var run = recorded.Skip(at).Take(write.Length).ToList();
            Assert.True(write.SequenceEqual(run.Select(c => c.Change.Id)), $"the write {string.Join(", ", write)} came as {string.Join(", ", run.Select(c => c.Change.Id))}");
            Assert.True(run.Select(c => c.FollowedBy).SequenceEqual(Enumerable.Range(0, write.Length).Reverse()),
                $"the write {string.Join(", ", write)} came followed by {string.Join(", ", run.Select(c => c.FollowedBy))}");
        }

        for (var i = 0; i < recorded.Count; i++)
        {
            Assert.True(recorded[i].FollowedBy == 0 || (i + 1 < recorded.Count && recorded[i + 1].FollowedBy == recorded[i].FollowedBy - 1),
                $"{recorded[i].Change.Id} says {recorded[i].FollowedBy} follow, then came {(i + 1 < recorded.Count ? $"{recorded[i + 1].Change.Id} saying {recorded[i + 1].FollowedBy}" : "nothing")}");
        }
    }

    [Fact]
    public void A_write_is_followed_only_once_all_its_changes_are_heard()
    {
        var bus = new ScriptedBus();
        using var hub = Hub(bus);
        var followed = new List<(string Id, bool SlotCarried)>();
        using var follower = hub.Follow(e => followed.Add((e.Id, hub.Carried.TryGet(new FhirReference("Slot", "freed1"), out _))));

        bus.Deliver(new RecordedChange(new ChangeEventId(1, 0), Cancelled(1), FollowedBy: 1));
        Assert.Empty(followed); // held back: the slot of its write is still to come
        bus.Deliver(new RecordedChange(new ChangeEventId(1, 1), Freed(1)));
        Assert.Equal([("cancelled1", true), ("freed1", true)], followed);

        bus.Deliver(new RecordedChange(new ChangeEventId(3, 0), Change("single")));
        Assert.Equal(["cancelled1", "freed1", "single"], followed.Select(f => f.Id));

        // A change this instance could not record (Redis away) is followed at once: it heard it before publishing.
        bus.Deliver(new RecordedChange(new ChangeEventId(4, 0), Cancelled(4), FollowedBy: 1));
        bus.Deliver(new RecordedChange(null, Change("unrecorded")));
        Assert.Equal("unrecorded", followed[^1].Id);
        bus.Deliver(new RecordedChange(new ChangeEventId(4, 1), Freed(4)));
        Assert.Equal(["cancelled4", "freed4"], followed.TakeLast(2).Select(f => f.Id));
    }

    private static ResourceChange Cancelled(int i) => ResourceChange.From(new Appointment
    {
        Id = "cancelled" + i,
        Meta = new Meta { VersionId = "2", LastUpdated = DateTimeOffset.UtcNow },
        Status = Appointment.AppointmentStatus.Cancelled,
    }, ChangeKind.Updated, "a");

    private static ResourceChange Freed(int i) => ResourceChange.From(new Slot
    {
        Id = "freed" + i,
        Meta = new Meta { VersionId = "2", LastUpdated = DateTimeOffset.UtcNow },
        Status = Slot.SlotStatus.Free,
    }, ChangeKind.Updated, "a");

    private static ChangeHub Hub(IChangeBus bus) =>
        new(bus, new GatewayInstance(), TimeProvider.System, NullLogger<ChangeHub>.Instance, Options.Create(new ChangeHistoryOptions()));

    private static RedisConnection Connection(RedisServer redis, string stream) =>
        new(Options.Create(new RedisOptions { Configuration = redis.Configuration, Stream = stream }));

    private static RedisChangeBus Bus(RedisConnection connection, string stream) =>
        new(connection, Options.Create(new RedisOptions { Stream = stream, Channel = stream }), Options.Create(new ChangeHistoryOptions()), TimeProvider.System, NullLogger<RedisChangeBus>.Instance);

    /// <summary>A bus whose deliveries the test makes, one change at a time, as the stream's reader would.</summary>
    private sealed class ScriptedBus : IChangeBus
    {
        private readonly List<Action<RecordedChange>> _handlers = [];

        public void Deliver(RecordedChange change) => _handlers.ForEach(h => h(change));

        public System.Threading.Tasks.Task PublishAsync(ResourceChange change) => System.Threading.Tasks.Task.CompletedTask;

        public System.Threading.Tasks.Task PublishAllAsync(IReadOnlyList<ResourceChange> changes) => System.Threading.Tasks.Task.CompletedTask;

        public IDisposable Subscribe(Action<RecordedChange> handler)
        {
            _handlers.Add(handler);
            return new Unsubscribe(() => _handlers.Remove(handler));
        }

        public Task<ChangeHistory> ReadAfterAsync(ChangeEventId after, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        private sealed class Unsubscribe(Action remove) : IDisposable
        {
            public void Dispose() => remove();
        }
    }
}
