using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir.InMemory;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Tests.Model;

/// <summary>
/// The model's slot invariant (I2) reads slots as the booking core writes them (<see cref="Schema.Booking.SlotHolding"/>):
/// a proposal, written by another FHIR client or left by an unblock, leaves its slot BUSY_TENTATIVE as a hold does; a
/// waitlisted appointment takes no time and leaves its slot FREE; a slot in any other status than its one holder
/// leaves it in is broken.
/// </summary>
public sealed class SchedulingInvariantsTests
{
    [Theory]
    [InlineData(AppointmentStatus.Proposed, SlotStatus.BusyTentative, true)]
    [InlineData(AppointmentStatus.Waitlist, SlotStatus.Free, true)]
    [InlineData(AppointmentStatus.Pending, SlotStatus.BusyTentative, true)]
    [InlineData(AppointmentStatus.Booked, SlotStatus.Busy, true)]
    [InlineData(AppointmentStatus.Noshow, SlotStatus.Busy, true)]
    [InlineData(AppointmentStatus.Cancelled, SlotStatus.Free, true)]
    [InlineData(AppointmentStatus.Proposed, SlotStatus.Busy, false)]
    [InlineData(AppointmentStatus.Waitlist, SlotStatus.BusyTentative, false)]
    [InlineData(AppointmentStatus.Booked, SlotStatus.BusyTentative, false)]
    [InlineData(AppointmentStatus.Fulfilled, SlotStatus.Free, false)]
    [InlineData(AppointmentStatus.Cancelled, SlotStatus.Busy, false)]
    public async Task A_slot_is_whole_when_its_one_holder_leaves_it_in_its_status(AppointmentStatus appointmentStatus, SlotStatus slotStatus, bool whole)
    {
        var store = new InMemoryFhirStore();
        var none = CancellationToken.None;
        var world = await ModelWorld.CreateAsync(store);
        var slot = world.Slots[0];
        slot.Status = slotStatus;
        await store.UpdateAsync(slot, slot.Meta?.VersionId, none);
        await store.CreateAsync(new Appointment
        {
            Status = appointmentStatus,
            Start = slot.Start,
            End = slot.End,
            Slot = [new ResourceReference("Slot/" + slot.Id)],
            Participant =
            [
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + world.Patients[0].Id), Status = ParticipationStatus.Accepted },
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/" + world.Practitioner.Id), Status = ParticipationStatus.Accepted },
            ],
        }, none);

        var violations = await SchedulingInvariants.CheckAsync(store, world, [], [], DateTimeOffset.UtcNow);

        var slotBroken = violations.Where(v => v.StartsWith("I2 ", StringComparison.Ordinal) && v.Contains("Slot/" + slot.Id, StringComparison.Ordinal)).ToList();
        Assert.True(whole == (slotBroken.Count == 0), $"{appointmentStatus} on a {slotStatus} slot: expected {(whole ? "whole" : "broken")}, found: {string.Join("; ", slotBroken)}");
    }
}
