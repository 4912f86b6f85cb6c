using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using static Scheduling.Testing.GraphQLMutations;

namespace Scheduling.Tests.Booking;

/// <summary>
/// A hold that lapses frees its slots and cancels itself with nobody asking (the sweeper), and can no longer be
/// confirmed even before the sweeper gets to it. The gateway's clock is moved forward instead of waiting.
/// </summary>
public abstract class HoldExpiryTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    private const string HoldMutation = """
        mutation($input: HoldSlotsInput!) { holdSlots(input: $input) { appointment { fhirId status } errors { __typename } } }
        """;

    private const string ConfirmMutation = """
        mutation($id: ID!) { confirmAppointment(input: { appointmentId: $id }) { appointment { fhirId } errors { __typename ... on InvalidTransitionError { message from to } } } }
        """;

    /// <summary>A gateway of the test's own on <paramref name="clock"/>, sweeping holds every <paramref name="sweepSeconds"/>; its store; and what to dispose.</summary>
    private async Task<(GatewayServer Gateway, IFhirStore Store, IAsyncDisposable Owner)> StartAsync(ShiftedTimeProvider clock, int sweepSeconds)
    {
        var gateway = await StartGatewayAsync(
            new() { ["Booking:HoldSweepSeconds"] = sweepSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            services => services.AddSingleton<TimeProvider>(clock));
        return (gateway, Store, gateway);
    }

    [Fact]
    public async Task An_expired_hold_is_released_by_the_sweeper_without_anyone_asking()
    {
        var clock = new ShiftedTimeProvider();
        var (gateway, store, owner) = await StartAsync(clock, sweepSeconds: 1);
        await using var _ = owner;
        var world = await BookingWorld.CreateAsync(store);
        var hold = await gateway.QueryAsync(HoldMutation, new { input = new { slotIds = new[] { world.SlotId(0), world.SlotId(1) }, patientId = world.Patient.Id, holdMinutes = 5 } });
        var id = hold.At("data.holdSlots.appointment.fhirId")!.GetValue<string>();

        clock.Offset = TimeSpan.FromMinutes(6);
        var released = await PollAsync(async () => (await store.ReadAsync<Appointment>(id, CancellationToken.None))!.Status == Appointment.AppointmentStatus.Cancelled);

        Assert.True(released, "the sweeper cancelled the hold within 10 s");
        var appointment = (await store.ReadAsync<Appointment>(id, CancellationToken.None))!;
        Assert.Equal("Hold expired", appointment.CancelationReason?.Text);
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(world.SlotId(0), CancellationToken.None))!.Status);
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(world.SlotId(1), CancellationToken.None))!.Status);

        var confirm = await gateway.QueryAsync(ConfirmMutation, new { id });
        Assert.Equal("InvalidTransitionError", confirm.At("data.confirmAppointment.errors.0.__typename")!.GetValue<string>());
    }

    [Fact]
    public async Task An_expired_hold_cannot_be_confirmed_even_before_the_sweeper_runs()
    {
        var clock = new ShiftedTimeProvider();
        var (gateway, store, owner) = await StartAsync(clock, sweepSeconds: 3600);
        await using var _ = owner;
        var world = await BookingWorld.CreateAsync(store);
        var hold = await gateway.QueryAsync(HoldMutation, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id, holdMinutes = 5 } });
        var id = hold.At("data.holdSlots.appointment.fhirId")!.GetValue<string>();

        clock.Offset = TimeSpan.FromMinutes(6);
        var confirm = await gateway.QueryAsync(ConfirmMutation, new { id });

        Assert.Equal("InvalidTransitionError", confirm.At("data.confirmAppointment.errors.0.__typename")!.GetValue<string>());
        Assert.Contains("expired", confirm.At("data.confirmAppointment.errors.0.message")!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(Appointment.AppointmentStatus.Pending, (await store.ReadAsync<Appointment>(id, CancellationToken.None))!.Status);
    }

    /// <summary>Before the sweeper runs, every path treats an expired hold as void: no answer, cancel or move revives it, and its time is bookable.</summary>
    [Fact]
    public async Task An_expired_hold_is_dead_for_every_path_before_the_sweeper_runs()
    {
        var clock = new ShiftedTimeProvider();
        var (gateway, store, owner) = await StartAsync(clock, sweepSeconds: 3600);
        await using var _ = owner;
        var world = await BookingWorld.CreateAsync(store);
        var hold = await gateway.QueryAsync(HoldMutation, new { input = new { slotIds = new[] { world.SlotId(0), world.SlotId(1) }, patientId = world.Patient.Id, holdMinutes = 5 } });
        var id = hold.At("data.holdSlots.appointment.fhirId")!.GetValue<string>();
        clock.Offset = TimeSpan.FromMinutes(6);

        var answers = new Dictionary<string, JsonNode?>
        {
            ["respondToAppointment"] = await gateway.QueryAsync(RespondMutation, new { id, actor = "Practitioner/" + world.Practitioner.Id }),
            ["cancelAppointment"] = await gateway.QueryAsync(CancelMutation, new { id }),
            ["rescheduleAppointment"] = await gateway.QueryAsync(RescheduleMutation, new { id, slot = world.SlotId(4) }),
        };
        foreach (var (field, answer) in answers)
        {
            Assert.True(answer.At($"data.{field}.errors.0.__typename")?.GetValue<string>() == "InvalidTransitionError", answer!.ToJsonString());
        }

        Assert.Equal(Appointment.AppointmentStatus.Pending, (await store.ReadAsync<Appointment>(id, CancellationToken.None))!.Status);
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(world.SlotId(4), CancellationToken.None))!.Status);

        // Its time is free for anyone: the booking releases the dead hold (as the sweeper would) and takes the slot.
        var booked = await gateway.QueryAsync(BookMutation, new { input = new { slotIds = new[] { world.SlotId(1) }, patientId = world.OtherPatient.Id } });
        Assert.True(booked.At("data.bookAppointment.appointment.fhirId") is not null, booked.ToJsonString());
        var released = (await store.ReadAsync<Appointment>(id, CancellationToken.None))!;
        Assert.Equal((Appointment.AppointmentStatus.Cancelled, "Hold expired"), (released.Status, released.CancelationReason?.Text));
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(world.SlotId(0), CancellationToken.None))!.Status);
        Assert.Equal(Slot.SlotStatus.Busy, (await store.ReadAsync<Slot>(world.SlotId(1), CancellationToken.None))!.Status);
    }

    /// <summary>
    /// Before the sweeper runs, an expired hold is in nobody's way on the schedule side either: availability offers
    /// its time, blockTime releases it and blocks, deleteSlots releases it (its slot is then kept as the cancelled
    /// hold's record), one standing predicate for every path (StandingTime).
    /// </summary>
    [Fact]
    public async Task An_expired_hold_is_offered_blocked_over_and_released_by_schedule_changes_before_the_sweeper_runs()
    {
        var clock = new ShiftedTimeProvider();
        var (gateway, store, owner) = await StartAsync(clock, sweepSeconds: 3600);
        await using var _ = owner;
        var world = await BookingWorld.CreateAsync(store);
        var first = await gateway.QueryAsync(HoldMutation, new { input = new { slotIds = new[] { world.SlotId(0), world.SlotId(1) }, patientId = world.Patient.Id, holdMinutes = 5 } });
        var second = await gateway.QueryAsync(HoldMutation, new { input = new { slotIds = new[] { world.SlotId(3) }, patientId = world.OtherPatient.Id, holdMinutes = 5 } });
        var (firstId, secondId) = (first.At("data.holdSlots.appointment.fhirId")!.GetValue<string>(), second.At("data.holdSlots.appointment.fhirId")!.GetValue<string>());
        clock.Offset = TimeSpan.FromMinutes(6);

        var offered = await gateway.QueryAsync(AvailabilityQuery, new { input = new { scheduleIds = new[] { world.Schedule.Id }, start = Iso(world.Slots[0].Start!.Value), end = Iso(world.Slots[^1].End!.Value) } });
        var offeredIds = offered.At("data.availability.nodes")!.AsArray().SelectMany(n => n!["slotIds"]!.AsArray().Select(i => i!.GetValue<string>())).ToList();
        Assert.True(new[] { world.SlotId(0), world.SlotId(1), world.SlotId(3) }.Select(id => GlobalId.Encode("Slot", id)).All(offeredIds.Contains), offered.ToJsonString());

        var block = await gateway.QueryAsync(BlockMutation, new { input = new { scheduleId = world.Schedule.Id, start = Iso(world.Slots[0].Start!.Value), end = Iso(world.Slots[1].End!.Value) } });
        Assert.True(block.At("data.blockTime.slot.fhirId") is not null, block.ToJsonString());
        var deleted = await gateway.QueryAsync(DeleteMutation, new { ids = new[] { world.SlotId(3) } });
        Assert.Equal("slot-referenced", deleted.At("data.deleteSlots.errors.0.rule")?.GetValue<string>());

        foreach (var id in new[] { firstId, secondId })
        {
            var released = (await store.ReadAsync<Appointment>(id, CancellationToken.None))!;
            Assert.Equal((Appointment.AppointmentStatus.Cancelled, "Hold expired"), (released.Status, released.CancelationReason?.Text));
        }

        Assert.Equal(Slot.SlotStatus.BusyUnavailable, (await store.ReadAsync<Slot>(world.SlotId(1), CancellationToken.None))!.Status);
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(world.SlotId(3), CancellationToken.None))!.Status);
    }

    private const string AvailabilityQuery = """
        query($input: AvailabilityInput!) { availability(input: $input) { nodes { slotIds } } }
        """;

    private const string BlockMutation = """
        mutation($input: BlockTimeInput!) { blockTime(input: $input) { slot { fhirId } errors { __typename } } }
        """;

    private const string DeleteMutation = """
        mutation($ids: [ID!]!) { deleteSlots(input: { slotIds: $ids }) { deletedSlotIds errors { __typename ... on ValidationError { rule } } } }
        """;

    private const string RespondMutation = """
        mutation($id: ID!, $actor: ID!) { respondToAppointment(input: { appointmentId: $id, actorId: $actor, participantStatus: ACCEPTED }) { appointment { fhirId } errors { __typename } } }
        """;

    private const string CancelMutation = """
        mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: "changed my mind" }) { appointment { fhirId } errors { __typename } } }
        """;

    private const string RescheduleMutation = """
        mutation($id: ID!, $slot: ID!) { rescheduleAppointment(input: { appointmentId: $id, slotIds: [$slot] }) { appointment { fhirId } errors { __typename } } }
        """;

    private const string BookMutation = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { __typename } } }
        """;

    private static async Task<bool> PollAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}

public sealed class EmbeddedHoldExpiryTests(EmbeddedGatewayFixture fixture) : HoldExpiryTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumHoldExpiryTests(MedplumFixture medplum) : HoldExpiryTests(medplum.Compensating);
