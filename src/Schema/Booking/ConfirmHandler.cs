using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// confirmAppointment: a standing hold becomes a booking (pending → booked, slots busy). Its time is taken through
/// <see cref="AppointmentTimeTaking"/> like any booking's (a hold whose slots were freed and taken meanwhile is
/// refused); a lost race reads everything again (<see cref="ContendedRetry"/>).
/// </summary>
public sealed class ConfirmHandler(AppointmentChanges changes, AppointmentTimeTaking taking)
{
    public Task<Appointment> ConfirmAsync(string appointmentId, CancellationToken cancellationToken) =>
        changes.Retry.RunAsync(() => ConfirmOnceAsync(appointmentId, cancellationToken),
            "The appointment or its slots kept changing; read it again and retry.", cancellationToken);

    private async Task<Appointment> ConfirmOnceAsync(string appointmentId, CancellationToken cancellationToken)
    {
        var appointment = await changes.ReadToChangeAsync(appointmentId, cancellationToken);
        if (!GatewayProfile.IsHold(appointment))
        {
            throw AppointmentChanges.Transition(appointment, AppointmentStatus.Booked, "Only a standing hold can be confirmed.");
        }

        StandingTime.RefuseExpiredHold(appointment, changes.Now, AppointmentStatus.Booked);

        var booked = (Appointment)appointment.DeepCopy();
        booked.Status = AppointmentStatus.Booked;
        AppointmentChanges.ClearHold(booked);
        foreach (var participant in booked.Participant)
        {
            participant.Status = ParticipationStatus.Accepted;
        }

        var taken = await taking.TakeAsync(appointment, booked, cancellationToken);

        List<FhirWrite> writes = [.. taken.SlotWrites, FhirWrite.Update(appointment, booked), .. taken.GuardWrites];
        return (await changes.ApplyContendedAsync(writes, cancellationToken)).OfType<Appointment>().First();
    }
}
