using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>changeAppointmentStatus: check-in, arrival, fulfilment and no-show, as FHIR's state machine allows them.</summary>
public sealed class StatusChangeHandler(AppointmentChanges changes)
{
    /// <summary>The status changes this handler makes, and from which statuses (the rest have their own mutations).</summary>
    private static readonly Dictionary<AppointmentStatus, AppointmentStatus[]> StatusChanges = new()
    {
        [AppointmentStatus.CheckedIn] = [AppointmentStatus.Booked],
        [AppointmentStatus.Arrived] = [AppointmentStatus.Booked, AppointmentStatus.CheckedIn],
        [AppointmentStatus.Fulfilled] = [AppointmentStatus.Arrived, AppointmentStatus.CheckedIn],
        [AppointmentStatus.Noshow] = [AppointmentStatus.Booked],
    };

    public async Task<Appointment> ChangeStatusAsync(string appointmentId, AppointmentStatus status, CancellationToken cancellationToken)
    {
        // Check-in, arrival and the rest are recorded by the practice, not by the patient (refused before any read).
        SchedulingAccess.Require(changes.Access.CanChangeStatus, () => new ForbiddenError("A patient cannot change an appointment's status."));
        var appointment = await changes.ReadToChangeAsync(appointmentId, cancellationToken);
        if (!StatusChanges.TryGetValue(status, out var from))
        {
            var hint = status switch
            {
                AppointmentStatus.Cancelled => "use cancelAppointment",
                AppointmentStatus.Booked => "use bookAppointment or confirmAppointment",
                _ => "this status is not set by a status change",
            };
            throw AppointmentChanges.Transition(appointment, status, $"Cannot change to {status.GetLiteral()}: {hint}.");
        }

        if (appointment.Status is not { } current || !from.Contains(current))
        {
            throw AppointmentChanges.Transition(appointment, status,
                $"A {appointment.Status?.GetLiteral() ?? "status-less"} appointment cannot become {status.GetLiteral()}.");
        }

        var changed = (Appointment)appointment.DeepCopy();
        changed.Status = status;
        return (Appointment)(await changes.ApplyOrConflictAsync([FhirWrite.Update(appointment, changed)], cancellationToken))[0];
    }
}
