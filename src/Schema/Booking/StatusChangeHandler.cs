using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// changeAppointmentStatus: check-in, arrival, fulfilment and no-show, as FHIR's state machine allows them and only
/// once the appointment's time has come: a no-show or a fulfilment from its start on, a check-in or an arrival from
/// <see cref="BookingOptions.CheckInMinutesBeforeStart"/> before it.
/// </summary>
public sealed class StatusChangeHandler(AppointmentChanges changes, IOptions<BookingOptions> options)
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

        if (EarliestFor(appointment, status, TimeSpan.FromMinutes(options.Value.CheckInMinutesBeforeStart)) is { } earliest && changes.Now < earliest)
        {
            throw AppointmentChanges.Transition(appointment, status,
                $"Too early: the appointment can become {status.GetLiteral()} from {InstantText.Iso(earliest)} on.");
        }

        var changed = (Appointment)appointment.DeepCopy();
        changed.Status = status;
        return (Appointment)(await changes.ApplyAsync([FhirWrite.Update(appointment, changed)], cancellationToken))[0];
    }

    /// <summary>When an appointment may take this status at the earliest (null: it has no start to go by).</summary>
    public static DateTimeOffset? EarliestFor(Appointment appointment, AppointmentStatus status, TimeSpan checkInWindow) =>
        appointment?.Start is not { } start ? null
        : status is AppointmentStatus.CheckedIn or AppointmentStatus.Arrived ? start - checkInWindow
        : start;
}
