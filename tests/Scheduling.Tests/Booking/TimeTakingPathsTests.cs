using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using static Scheduling.Testing.GraphQLMutations;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Every path that takes time goes through the booking core's one take-time path (its checks, busy time over the
/// span and the span guards) and its one retry of lost races: an answer that books an appointment, a confirmation,
/// and reschedules racing in one guard hour. On the embedded store and on Medplum in both write modes.
/// </summary>
public abstract class TimeTakingPathsTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    private const string AppointmentSelection = "appointment { fhirId status slots { fhirId status } }";

    private static CancellationToken None => CancellationToken.None;

    /// <summary>How another FHIR client's proposed appointment over a slot of the world is made unbookable, and the error its acceptance must get.</summary>
    public static TheoryData<string, string> UnbookableProposals => new()
    {
        { "booked-by-another", "SLOT_UNAVAILABLE" },
        { "blocked", "SLOT_UNAVAILABLE" },
        { "past", "not-in-the-past" },
        { "inactive-schedule", "active-schedule" },
        { "stranger-practitioner", "actor-of-schedule" },
    };

    [Theory]
    [MemberData(nameof(UnbookableProposals))]
    public async Task Accepting_a_proposed_appointment_applies_every_check_of_booking_and_writes_nothing_when_refused(string setup, string expected)
    {
        var world = await BookingWorld.CreateAsync(Store);
        var slot = world.Slots[0];
        var practitioner = "Practitioner/" + world.Practitioner.Id;
        switch (setup)
        {
            case "booked-by-another":
                AssertNoErrors(await MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { slot.Id }, patientId = world.OtherPatient.Id }, "appointment { fhirId }"));
                break;
            case "blocked":
                AssertNoErrors(await MutateAsync("blockTime", "BlockTimeInput",
                    new { scheduleId = world.Schedule.Id, start = Iso(slot.Start!.Value), end = Iso(slot.End!.Value) }, "slot { fhirId }"));
                break;
            case "past":
                slot = await Store.CreateAsync(new Slot
                {
                    Schedule = new ResourceReference("Schedule/" + world.Schedule.Id),
                    Status = Slot.SlotStatus.Free,
                    Start = DateTimeOffset.UtcNow.AddHours(-2),
                    End = DateTimeOffset.UtcNow.AddHours(-1.5),
                }, None);
                break;
            case "inactive-schedule":
                var schedule = (await Store.ReadAsync<Schedule>(world.Schedule.Id!, None))!;
                schedule.Active = false;
                await Store.UpdateAsync(schedule, schedule.Meta?.VersionId, None);
                break;
            case "stranger-practitioner":
                practitioner = "Practitioner/" + (await Store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Stranger" }] }, None)).Id;
                break;
        }

        var proposed = await ProposeAsync(world, slot, practitioner);
        var slotBefore = (await Store.ReadAsync<Slot>(slot.Id!, None))!.Meta!.VersionId;

        var answer = await MutateAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = proposed.Id, actorId = "Patient/" + world.Patient.Id, participantStatus = "ACCEPTED" }, AppointmentSelection);

        Assert.Null(answer["appointment"]);
        Assert.Equal(expected, answer.At("errors.0.rule")?.GetValue<string>() ?? Str(answer, "errors.0.code"));
        Assert.Equal(Appointment.AppointmentStatus.Proposed, (await Store.ReadAsync<Appointment>(proposed.Id!, None))!.Status);
        Assert.Equal(slotBefore, (await Store.ReadAsync<Slot>(slot.Id!, None))!.Meta!.VersionId);
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("AppointmentResponse").Where("appointment", "Appointment/" + proposed.Id), None));
    }

    [Fact]
    public async Task Accepting_a_proposed_appointment_over_free_time_books_it_and_its_time_is_then_taken()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var proposed = await ProposeAsync(world, world.Slots[0], "Practitioner/" + world.Practitioner.Id);

        var answer = await MutateAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = proposed.Id, actorId = "Patient/" + world.Patient.Id, participantStatus = "ACCEPTED" }, AppointmentSelection);

        AssertNoErrors(answer);
        Assert.Equal(("BOOKED", "BUSY"), (Str(answer, "appointment.status"), Str(answer, "appointment.slots.0.status")));
        var other = await MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.OtherPatient.Id }, "appointment { fhirId }");
        Assert.Equal("SLOT_UNAVAILABLE", Str(other, "errors.0.code"));
    }

    [Fact]
    public async Task Confirming_a_hold_whose_slot_was_freed_and_booked_by_another_client_is_refused()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var hold = await MutateAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }, "appointment { fhirId }");
        AssertNoErrors(hold);
        // Another FHIR client frees the hold's slot and books it for someone else, bypassing the gateway.
        var slot = (await Store.ReadAsync<Slot>(world.SlotId(0), None))!;
        slot.Status = Slot.SlotStatus.Busy;
        await Store.UpdateAsync(slot, slot.Meta?.VersionId, None);
        await Store.CreateAsync(new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Start = slot.Start,
            End = slot.End,
            Slot = [new ResourceReference("Slot/" + slot.Id)],
            Participant =
            [
                Participant("Patient/" + world.OtherPatient.Id, ParticipationStatus.Accepted),
                Participant("Practitioner/" + world.Practitioner.Id, ParticipationStatus.Accepted),
            ],
        }, None);

        var confirmed = await MutateAsync("confirmAppointment", "ConfirmAppointmentInput", new { appointmentId = Str(hold, "appointment.fhirId") }, "appointment { fhirId }");

        Assert.Equal("SLOT_UNAVAILABLE", Str(confirmed, "errors.0.code"));
        Assert.Equal(Appointment.AppointmentStatus.Pending, (await Store.ReadAsync<Appointment>(Str(hold, "appointment.fhirId"), None))!.Status);
    }

    [Fact]
    public async Task Reschedules_and_bookings_racing_in_one_guard_hour_without_overlapping_all_succeed()
    {
        const int Pairs = 4;
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var day = DateTimeOffset.UtcNow.Date.AddDays(3);
        var hour = new DateTimeOffset(day.Year, day.Month, day.Day, 14, 0, 0, TimeSpan.Zero);
        // 12 five-minute slots in one UTC hour: every change below reads and claims the same span guards.
        var slots = new List<Slot>();
        for (var i = 0; i < 3 * Pairs; i++)
        {
            slots.Add(await Store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + world.Schedule.Id),
                Status = Slot.SlotStatus.Free,
                Start = hour.AddMinutes(5 * i),
                End = hour.AddMinutes(5 * (i + 1)),
            }, None));
        }

        var patients = new[] { world.Patient.Id, world.OtherPatient.Id };
        var booked = new List<string>();
        for (var i = 0; i < Pairs; i++)
        {
            var made = await MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { slots[i].Id }, patientId = patients[i % 2] }, "appointment { fhirId }");
            booked.Add(Str(made, "appointment.fhirId"));
        }

        var raced = await Task.WhenAll(
            Enumerable.Range(0, Pairs).Select(i => MutateAsync("rescheduleAppointment", "RescheduleAppointmentInput",
                new { appointmentId = booked[i], slotIds = new[] { slots[Pairs + i].Id } }, AppointmentSelection))
            .Concat(Enumerable.Range(0, Pairs).Select(i => MutateAsync("bookAppointment", "BookAppointmentInput",
                new { slotIds = new[] { slots[(2 * Pairs) + i].Id }, patientId = patients[i % 2] }, AppointmentSelection))));

        Assert.All(raced, AssertNoErrors);
        for (var i = 0; i < slots.Count; i++)
        {
            Assert.Equal(i < Pairs ? Slot.SlotStatus.Free : Slot.SlotStatus.Busy, (await Store.ReadAsync<Slot>(slots[i].Id!, None))!.Status);
        }
    }

    /// <summary>A proposed appointment over one slot, written by another FHIR client: the patient still has to answer.</summary>
    private async Task<Appointment> ProposeAsync(BookingWorld world, Slot slot, string practitioner) =>
        await Store.CreateAsync(new Appointment
        {
            Status = Appointment.AppointmentStatus.Proposed,
            Start = slot.Start,
            End = slot.End,
            Slot = [new ResourceReference("Slot/" + slot.Id)],
            Participant =
            [
                Participant("Patient/" + world.Patient.Id, ParticipationStatus.NeedsAction),
                Participant(practitioner, ParticipationStatus.Accepted),
                Participant("Location/" + world.Location.Id, ParticipationStatus.Accepted),
            ],
        }, None);

    private static Appointment.ParticipantComponent Participant(string actor, ParticipationStatus status) =>
        new() { Actor = new ResourceReference(actor), Required = Appointment.ParticipantRequired.Required, Status = status };

    private async Task<JsonNode> MutateAsync(string field, string inputType, object input, string selection) =>
        await (await GatewayAsync()).MutateAsync(field, inputType, input, selection);

    private static void AssertNoErrors(JsonNode payload) =>
        Assert.True(payload["errors"]!.AsArray().Count == 0, payload.ToJsonString());
}

/// <summary>On the embedded store.</summary>
public sealed class EmbeddedTimeTakingPathsTests(EmbeddedGatewayFixture fixture) : TimeTakingPathsTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

/// <summary>On Medplum, written with If-Match and undone on failure.</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingTimeTakingPathsTests(MedplumFixture medplum) : TimeTakingPathsTests(medplum.Compensating);

/// <summary>On Medplum with transaction Bundles.</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionTimeTakingPathsTests(MedplumFixture medplum) : TimeTakingPathsTests(medplum.Transactions);
