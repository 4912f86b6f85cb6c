using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using static Scheduling.Testing.GraphQLMutations;

namespace Scheduling.Tests.Waitlist;

/// <summary>
/// A WAITLIST appointment takes no time, whoever wrote it and whatever time or slot it names (FHIR allows "a specific
/// time might or might not be pre-allocated"; the gateway decides it is not): availability offers the time, a booking
/// takes it, and the patient's open-bookings limit does not count it. One decision (<see cref="AppointmentSearches.ActiveStatuses"/>).
/// </summary>
public sealed class WaitlistTakesNoTimeTests
{
    [Fact]
    public async Task A_waitlisted_appointment_naming_a_time_and_a_slot_leaves_both_free_for_anyone()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Booking:MaxOpenBookingsPerPatient"] = "1" });
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 2);
        var slot = world.Slots[0];
        // As another FHIR client would write it: a time, a slot, the practitioner and the patient.
        await store.CreateAsync(new Appointment
        {
            Status = Appointment.AppointmentStatus.Waitlist,
            Start = slot.Start,
            End = slot.End,
            Slot = [new ResourceReference("Slot/" + slot.Id)],
            Participant =
            [
                AppointmentChanges.Participant("Patient/" + world.Patient.Id, ParticipationStatus.Accepted),
                AppointmentChanges.Participant("Practitioner/" + world.Practitioner.Id, ParticipationStatus.Accepted),
            ],
        }, CancellationToken.None);

        var offered = await gateway.QueryAsync("query($input: AvailabilityInput!) { availability(input: $input) { nodes { start } } }",
            new { input = new { scheduleIds = new[] { world.Schedule.Id }, start = Iso(slot.Start!.Value), end = Iso(world.Slots[^1].End!.Value) } });
        Assert.Equal(2, offered.At("data.availability.nodes")!.AsArray().Count);

        // The same patient (limit 1: the waitlisted one is no open booking) books the very slot, with the same practitioner.
        var booked = await gateway.QueryAsync("mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } " + Errors + " } }",
            new { input = new { time = new { slotIds = new[] { slot.Id } }, patientId = world.Patient.Id } });
        Assert.True(booked.At("data.bookAppointment.appointment.fhirId") is not null, booked.ToJsonString());
        Assert.Equal(Slot.SlotStatus.Busy, (await SlotAsync(store, slot.Id!))!.Status);
    }

    private static Task<Slot?> SlotAsync(IFhirStore store, string id) => store.ReadAsync<Slot>(id, CancellationToken.None);
}
