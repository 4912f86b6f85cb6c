using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>cancelAppointment and hold expiry: the appointment CANCELLED, its slots freed unless another holds them.</summary>
public sealed class CancelHandler(AppointmentChanges changes, SlotReservation reservation)
{
    public async Task<Appointment> CancelAsync(string appointmentId, string reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw AppointmentChanges.Fail(new ValidationError("A cancellation needs a reason.", "reason"));
        }

        var appointment = await changes.ReadToChangeAsync(appointmentId, cancellationToken);
        if (GatewayProfile.IsExpiredHold(appointment, changes.Now))
        {
            // Void already: the same answer whether or not the sweeper has cancelled it yet.
            throw AppointmentChanges.Transition(appointment, AppointmentStatus.Cancelled,
                $"The hold expired at {IsoDateTimeGraphType.Format(GatewayProfile.HoldExpiry(appointment)!.Value)}; it is released by itself.");
        }

        return await CancelAsync(appointment, reason, cancellationToken);
    }

    /// <summary>Cancels an appointment already read (hold expiry included), whoever asks.</summary>
    public async Task<Appointment> CancelAsync(Appointment appointment, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        if (!AppointmentSearches.IsActive(appointment) || appointment.Status is AppointmentStatus.Arrived)
        {
            throw AppointmentChanges.Transition(appointment, AppointmentStatus.Cancelled, $"A {appointment.Status?.GetLiteral()} appointment cannot be cancelled.");
        }

        var cancelled = (Appointment)appointment.DeepCopy();
        cancelled.Status = AppointmentStatus.Cancelled;
        cancelled.CancelationReason = new CodeableConcept { Text = reason };
        AppointmentChanges.ClearHold(cancelled);
        var slots = await reservation.OfAsync(appointment, cancellationToken);
        List<FhirWrite> writes = [FhirWrite.Update(appointment, cancelled), .. await reservation.FreeWritesAsync(slots, appointment.Id!, cancellationToken)];
        return (Appointment)(await changes.ApplyOrConflictAsync(writes, cancellationToken))[0];
    }
}

/// <summary>Cancels every hold whose time is up and frees its slots. Safe to run on every instance (If-Match).</summary>
public sealed class HoldExpiry(AppointmentChanges changes, CancelHandler cancel)
{
    /// <summary>Returns how many holds it released.</summary>
    public async Task<int> ExpireHoldsAsync(CancellationToken cancellationToken) => (await ReleaseAsync(cancellationToken)).Released;

    /// <summary>
    /// Takes time (book, hold, reschedule); when the time is unavailable and expired holds were found (and released,
    /// here or by another instance meanwhile), takes it once more: an expired hold is in nobody's way, whether or
    /// not the sweeper has run.
    /// </summary>
    public async Task<T> PastExpiredHoldsAsync<T>(Func<Task<T>> take, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(take);
        try
        {
            return await take();
        }
        catch (SchedulingException e) when (e.Error is SlotUnavailableError)
        {
            if ((await ReleaseAsync(cancellationToken)).Found == 0)
            {
                throw;
            }
        }

        return await take();
    }

    private async Task<(int Found, int Released)> ReleaseAsync(CancellationToken cancellationToken)
    {
        var now = changes.Now;
        var holds = await changes.Store.SearchAllAsync<Appointment>(AppointmentSearches.PendingHolds(), cancellationToken);
        var expired = holds.Where(h => GatewayProfile.IsExpiredHold(h, now)).ToList();
        var released = 0;
        foreach (var hold in expired)
        {
            try
            {
                await cancel.CancelAsync(hold, "Hold expired", cancellationToken);
                released++;
            }
            catch (Exception e) when (e is SchedulingException or FhirVersionConflictException)
            {
                // Confirmed, cancelled or expired by someone else meanwhile: nothing left to do.
            }
        }

        return (expired.Count, released);
    }
}
