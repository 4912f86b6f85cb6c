using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking.Waitlist;

/// <summary>
/// leaveWaitlist: a waiting entry CANCELLED ("Left the waitlist"); no more offers are made to it. An offer already
/// standing stays the patient's hold, to confirm or cancel like any other.
/// </summary>
public sealed class LeaveWaitlistHandler(AppointmentChanges changes)
{
    public const string Reason = "Left the waitlist";

    public async Task<Appointment> LeaveAsync(string appointmentId, CancellationToken cancellationToken)
    {
        var entry = await changes.ReadToChangeAsync(appointmentId, cancellationToken);
        if (!WaitlistEntry.IsWaiting(entry))
        {
            throw AppointmentChanges.Transition(entry, AppointmentStatus.Cancelled,
                $"Only a waiting waitlist entry can be left; this is a {entry.Status?.GetLiteral()} appointment{(WaitlistEntry.IsEntry(entry) ? " entry" : string.Empty)}.");
        }

        var left = (Appointment)entry.DeepCopy();
        left.Status = AppointmentStatus.Cancelled;
        left.CancelationReason = new CodeableConcept { Text = Reason };
        return (Appointment)(await changes.ApplyAsync([FhirWrite.Update(entry, left)], cancellationToken))[0];
    }
}
