using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// Resolving an event takes what the change stream carried here lately instead of reading it from FHIR again: a
/// booking announces its slot and then its appointment, and the appointment's event finds the slot's new version
/// without a FHIR read. The staleness rule (<see cref="CarriedResources"/>): the newest version heard wins (an older
/// one heard late does not replace it), a carried deletion answers "none", a version older than the window is read
/// from FHIR again, and with callers' own tokens upstream FHIR is always asked. Counted on the store's searches.
/// </summary>
public sealed class CarriedResourcesTests
{
    [Fact]
    public async Task The_appointments_event_finds_its_slots_new_version_without_a_FHIR_read()
    {
        var world = await World.CreateAsync();
        var busy = await world.BookSlotAsync(Slot.SlotStatus.Busy);
        var appointment = await world.AppointmentEventAsync();

        var slots = await EventReads.ReadAsync<Slot>(world.Services, appointment, [world.SlotReference], CancellationToken.None);

        Assert.Equal(0, world.Store.SlotSearches);
        Assert.Equal(busy.VersionId, Assert.Single(slots).VersionId);
        Assert.Equal(Slot.SlotStatus.Busy, slots[0].Status);
    }

    /// <summary>
    /// A transaction's resources are all carried before its first event runs: a cancellation writes the appointment
    /// and frees the slot in one transaction, and the appointment's event (followed synchronously here, as a fast
    /// subscription group would run it) must find the slot FREE, as a FHIR read would. Announced one by one, the slot's
    /// BUSY version from the booking was still the carried one (SubscriptionTests saw "BUSY" on a cancellation under load).
    /// </summary>
    [Fact]
    public async Task A_transactions_event_finds_the_other_resources_of_the_transaction_in_their_new_version()
    {
        var world = await World.CreateAsync();
        await world.BookSlotAsync(Slot.SlotStatus.Busy);
        var appointment = await world.Store.CreateAsync(
            new Appointment { Status = Appointment.AppointmentStatus.Booked, Slot = [new ResourceReference("Slot/" + world.Slot.Id)] }, CancellationToken.None);
        Slot.SlotStatus? seen = null;
        using var follower = world.Hub.Follow(e =>
        {
            if (e.ResourceType == "Appointment" && e.Id == appointment.Id && world.Hub.Carried.TryGet(world.SlotReference, out var carried))
            {
                seen = ((Slot)carried!).Status;
            }
        });

        world.Clock.Advance(TimeSpan.FromMilliseconds(10));
        appointment.Status = Appointment.AppointmentStatus.Cancelled;
        var slot = (Slot)world.Slot.DeepCopy();
        slot.Status = Slot.SlotStatus.Free;
        await new PublishingFhirStore(world.Store, world.Hub).TransactionAsync(
            [new FhirWrite(appointment, appointment.Meta?.VersionId), new FhirWrite(slot, slot.Meta?.VersionId)], CancellationToken.None);

        Assert.Equal(Slot.SlotStatus.Free, seen);
    }

    [Fact]
    public async Task An_older_version_heard_late_does_not_replace_the_newest()
    {
        var world = await World.CreateAsync();
        var first = await world.BookSlotAsync(Slot.SlotStatus.Busy);
        var second = await world.BookSlotAsync(Slot.SlotStatus.Free);
        var late = ResourceChange.From(first, ChangeKind.Updated, "elsewhere") with { VersionId = first.VersionId + "-late", LastUpdated = first.Meta!.LastUpdated!.Value };
        await world.Hub.PublishAsync(late);
        var appointment = await world.AppointmentEventAsync();

        var slots = await EventReads.ReadAsync<Slot>(world.Services, appointment, [world.SlotReference], CancellationToken.None);

        Assert.Equal(0, world.Store.SlotSearches);
        Assert.Equal(second.VersionId, Assert.Single(slots).VersionId);
    }

    [Fact]
    public async Task A_carried_deletion_answers_none_without_a_read()
    {
        var world = await World.CreateAsync();
        await world.Hub.PublishAsync(world.Slot, ChangeKind.Deleted);
        var appointment = await world.AppointmentEventAsync();

        var slots = await EventReads.ReadAsync<Slot>(world.Services, appointment, [world.SlotReference], CancellationToken.None);

        Assert.Empty(slots);
        Assert.Equal(0, world.Store.SlotSearches);
    }

    [Fact]
    public async Task Past_the_window_FHIR_is_read_again_and_its_version_wins()
    {
        var world = await World.CreateAsync();
        await world.BookSlotAsync(Slot.SlotStatus.Busy);
        world.Clock.Advance(TimeSpan.FromSeconds(World.WindowSeconds + 1));
        world.Slot.Status = Slot.SlotStatus.BusyUnavailable; // changed on the FHIR server directly: the stream never carried it
        var direct = await world.Store.UpdateAsync(world.Slot, null, CancellationToken.None);
        var appointment = await world.AppointmentEventAsync();

        var slots = await EventReads.ReadAsync<Slot>(world.Services, appointment, [world.SlotReference], CancellationToken.None);

        Assert.Equal(1, world.Store.SlotSearches);
        Assert.Equal(direct.VersionId, Assert.Single(slots).VersionId);
    }

    [Fact]
    public async Task With_callers_tokens_upstream_FHIR_is_asked()
    {
        var world = await World.CreateAsync(UpstreamIdentity.Caller);
        await world.BookSlotAsync(Slot.SlotStatus.Busy);
        var appointment = await world.AppointmentEventAsync();

        await EventReads.ReadAsync<Slot>(world.Services, appointment, [world.SlotReference], CancellationToken.None);

        Assert.Equal(1, world.Store.SlotSearches);
    }

    private sealed class World
    {
        public const int WindowSeconds = 30;

        private readonly List<ResourceEvent> _followed = [];

        private World(FakeTimeProvider clock, CountingStore store, ChangeHub hub, ServiceProvider services, Slot slot)
        {
            (Clock, Store, Hub, Services, Slot) = (clock, store, hub, services, slot);
            hub.Follow(_followed.Add);
        }

        public FakeTimeProvider Clock { get; }

        public CountingStore Store { get; }

        public ChangeHub Hub { get; }

        public ServiceProvider Services { get; }

        public Slot Slot { get; private set; }

        public FhirReference SlotReference => new("Slot", Slot.Id!);

        public static async Task<World> CreateAsync(UpstreamIdentity identity = UpstreamIdentity.Gateway)
        {
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var store = new CountingStore(new InMemoryFhirStore(clock));
            var history = Options.Create(new ChangeHistoryOptions { CarriedResourceSeconds = WindowSeconds });
            var hub = new ChangeHub(new InProcessChangeBus(history, clock), new GatewayInstance(), clock, NullLogger<ChangeHub>.Instance, history);
            var services = new ServiceCollection()
                .AddSingleton<IFhirStore>(store)
                .AddSingleton(hub)
                .AddSingleton(Options.Create(new FhirOptions { UpstreamIdentity = identity }))
                .AddSingleton(new CallerCredentials { BearerToken = "token" })
                .BuildServiceProvider();
            var slot = await store.CreateAsync(
                new Slot { Status = Slot.SlotStatus.Free, Schedule = new ResourceReference("Schedule/s1"), Start = clock.GetUtcNow().AddHours(1), End = clock.GetUtcNow().AddHours(2) },
                CancellationToken.None);
            return new World(clock, store, hub, services, slot);
        }

        /// <summary>The slot written as a booking writes it, and announced.</summary>
        public async Task<Slot> BookSlotAsync(Slot.SlotStatus status)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(10));
            Slot.Status = status;
            Slot = await Store.UpdateAsync(Slot, null, CancellationToken.None);
            await Hub.PublishAsync(Slot, ChangeKind.Updated);
            return Slot;
        }

        /// <summary>An appointment on the slot, announced: its event as subscriptions follow it.</summary>
        public async Task<ResourceEvent> AppointmentEventAsync()
        {
            var appointment = await Store.CreateAsync(
                new Appointment { Status = Appointment.AppointmentStatus.Booked, Slot = [new ResourceReference("Slot/" + Slot.Id)] }, CancellationToken.None);
            await Hub.PublishAsync(appointment, ChangeKind.Created);
            Store.SlotSearches = 0;
            return _followed.Last(e => e.ResourceType == "Appointment");
        }
    }

    private sealed class CountingStore(IFhirStore inner) : DelegatingFhirStore(inner)
    {
        public int SlotSearches { get; set; }

        public override Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
        {
            if (query.ResourceType == "Slot")
            {
                SlotSearches++;
            }

            return base.SearchAllAsync(query, cancellationToken);
        }

        public override Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken)
        {
            if (query.ResourceType == "Slot")
            {
                SlotSearches++;
            }

            return base.SearchAsync(query, cancellationToken);
        }
    }
}
