using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>confirmAppointment: a standing hold becomes a booking (pending → booked, slots busy-tentative → busy).</summary>
public sealed class ConfirmHandler(AppointmentChanges changes, SlotReservation reservation)
{
    public async Task<Appointment> ConfirmAsync(string appointmentId, CancellationToken cancellationToken)
    {
        var appointment = await changes.ReadToChangeAsync(appointmentId, cancellationToken);
        if (appointment.Status != AppointmentStatus.Pending || GatewayProfile.HoldExpiry(appointment) is not { } expires)
        {
            throw AppointmentChanges.Transition(appointment, AppointmentStatus.Booked, "Only a standing hold can be confirmed.");
        }

        if (GatewayProfile.IsExpiredHold(appointment, changes.Now))
        {
            throw AppointmentChanges.Transition(appointment, AppointmentStatus.Booked, $"The hold expired at {IsoDateTimeGraphType.Format(expires)}.");
        }

        var slots = await reservation.OfAsync(appointment, cancellationToken);
        var writes = slots.Select(s => SlotReservation.Retag(s, SlotStatus.Busy)).ToList();
        var booked = (Appointment)appointment.DeepCopy();
        booked.Status = AppointmentStatus.Booked;
        AppointmentChanges.ClearHold(booked);
        foreach (var participant in booked.Participant)
        {
            participant.Status = ParticipationStatus.Accepted;
        }

        writes.Add(FhirWrite.Update(appointment, booked));
        return (Appointment)(await changes.ApplyOrConflictAsync(writes, cancellationToken))[^1];
    }
}
