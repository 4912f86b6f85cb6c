using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>cancelAppointment and hold expiry: the appointment CANCELLED, its slots freed unless another holds them.</summary>
public sealed class CancelHandler(AppointmentChanges changes, SlotReservation reservation, BookingRules rules)
{
    public async Task<Appointment> CancelAsync(string appointmentId, string reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw AppointmentChanges.Fail(new ValidationError("A cancellation needs a reason.", "reason"));
        }

        var appointment = await changes.ReadToChangeAsync(appointmentId, cancellationToken);
        // Void already: the same answer whether or not the sweeper has cancelled it yet.
        StandingTime.RefuseExpiredHold(appointment, changes.Now, AppointmentStatus.Cancelled);
        await CheckNoticeAsync([appointment], cancellationToken);
        return await CancelAsync(appointment, reason, cancellationToken);
    }

    /// <summary>
    /// The cancellation cutoff of cancellable appointments (<see cref="BookingRules.CheckCancel"/>), each on the schedule
    /// of its first slot: cancelAppointment's for one, cancelSeriesFrom's for every occurrence it cancels (the first
    /// inside its notice refuses). Schedules are read only for the appointments the cutoff can apply to
    /// (<see cref="BookingRules.CancelNoticeCanApply"/>), with one search for their slots and one for their schedules
    /// however many there are; none when it can apply to none.
    /// </summary>
    public async Task CheckNoticeAsync(IReadOnlyCollection<Appointment> appointments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appointments);
        var judged = appointments.Where(a => Cancellable(a) && rules.CancelNoticeCanApply(a)).ToList();
        if (judged.Count == 0)
        {
            return;
        }

        var schedules = await SchedulesOfFirstSlotsAsync(judged, cancellationToken);
        foreach (var appointment in judged)
        {
            rules.CheckCancel(appointment, FirstSlotId(appointment) is { } slotId ? schedules.GetValueOrDefault(slotId) : null);
        }
    }

    /// <summary>The schedule of each appointment's first slot, by slot id (a slot or schedule gone: absent).</summary>
    private async Task<Dictionary<string, Schedule>> SchedulesOfFirstSlotsAsync(List<Appointment> appointments, CancellationToken cancellationToken)
    {
        var slotIds = appointments.Select(FirstSlotId).OfType<string>().Distinct().ToList();
        var slots = slotIds.Count == 0 ? [] : await changes.Store.SearchAllAsync<Slot>(SlotSearches.ByIds(slotIds), cancellationToken);
        var scheduleOf = slots.Where(s => s.Id is not null && FhirReference.From(s.Schedule) is { ResourceType: "Schedule" })
            .ToDictionary(s => s.Id!, s => FhirReference.From(s.Schedule)!.Value.Id, StringComparer.Ordinal);
        var scheduleIds = scheduleOf.Values.Distinct().ToList();
        var schedules = scheduleIds.Count == 0 ? [] : (await changes.Store.SearchAllAsync<Schedule>(ScheduleSearches.ByIds(scheduleIds), cancellationToken))
            .Where(s => s.Id is not null).ToDictionary(s => s.Id!, StringComparer.Ordinal);
        return scheduleOf.Where(p => schedules.ContainsKey(p.Value)).ToDictionary(p => p.Key, p => schedules[p.Value], StringComparer.Ordinal);
    }

    private static string? FirstSlotId(Appointment appointment) =>
        appointment.Slot.Select(FhirReference.From).FirstOrDefault(r => r?.ResourceType == "Slot")?.Id;

    /// <summary>Cancels an appointment already read (hold expiry included), whoever asks.</summary>
    public async Task<Appointment> CancelAsync(Appointment appointment, string reason, CancellationToken cancellationToken) =>
        (Appointment)(await changes.ApplyAsync(await CancelWritesAsync(appointment, reason, cancellationToken), cancellationToken))[0];

    /// <summary>The writes that cancel an appointment already read, not yet applied: the appointment first, then its slots freed.</summary>
    public async Task<List<FhirWrite>> CancelWritesAsync(Appointment appointment, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        if (!Cancellable(appointment))
        {
            throw AppointmentChanges.Transition(appointment, AppointmentStatus.Cancelled, $"A {appointment.Status?.GetLiteral()} appointment cannot be cancelled.");
        }

        var cancelled = (Appointment)appointment.DeepCopy();
        cancelled.Status = AppointmentStatus.Cancelled;
        cancelled.CancelationReason = new CodeableConcept { Text = reason };
        AppointmentChanges.ClearHold(cancelled);
        var slots = await reservation.OfAsync(appointment, cancellationToken);
        return [FhirWrite.Update(appointment, cancelled), .. await reservation.SettleWritesAsync(slots, cancelled, cancellationToken)];
    }

    /// <summary>Whether an appointment may be cancelled: active, and not arrived.</summary>
    public static bool Cancellable(Appointment appointment) =>
        AppointmentSearches.IsActive(appointment) && appointment.Status is not AppointmentStatus.Arrived;
}

/// <summary>Cancels every hold whose time is up and frees its slots. Safe to run on every instance (If-Match).</summary>
public sealed class HoldExpiry(AppointmentChanges changes, CancelHandler cancel)
{
    /// <summary>Returns how many holds it released.</summary>
    public async Task<int> ExpireHoldsAsync(CancellationToken cancellationToken) =>
        await ReleaseAsync(await changes.Store.SearchAllAsync<Appointment>(AppointmentSearches.PendingHolds(), cancellationToken), cancellationToken);

    /// <summary>
    /// Releases the expired holds among these appointments (the sweeper's path), where they are in the way of a
    /// change: only those, never every expired hold of the server. Returns how many it released (another instance
    /// may have released some meanwhile).
    /// </summary>
    public async Task<int> ReleaseAsync(IEnumerable<Appointment> appointments, CancellationToken cancellationToken)
    {
        var now = changes.Now;
        var released = 0;
        foreach (var hold in (appointments ?? []).Where(a => GatewayProfile.IsExpiredHold(a, now)).DistinctBy(a => a.Id))
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

        return released;
    }

    /// <summary>
    /// Slots read by <paramref name="read"/>, read once more after releasing the expired holds that held any of them:
    /// for a schedule change (block, delete) an expired hold is not in the way.
    /// </summary>
    public async Task<IReadOnlyList<Slot>> ReadPastExpiredHoldsAsync(Func<Task<IReadOnlyList<Slot>>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        var slots = await read();
        return await ReleaseHoldingAsync(slots, cancellationToken) ? await read() : slots;
    }

    /// <summary>
    /// Releases the expired holds that hold any of these slots (BUSY_TENTATIVE ones are looked up; one search, only
    /// when there are such slots). Returns whether any hold was found expired, so the caller reads its slots again.
    /// </summary>
    public async Task<bool> ReleaseHoldingAsync(IEnumerable<Slot> slots, CancellationToken cancellationToken)
    {
        var held = (slots ?? []).Where(s => s.Status == Slot.SlotStatus.BusyTentative && s.Id is not null).Select(s => s.Id!).Distinct().ToList();
        if (held.Count == 0)
        {
            return false;
        }

        var holders = await changes.Store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots(held), cancellationToken);
        var expired = holders.Where(h => GatewayProfile.IsExpiredHold(h, changes.Now)).ToList();
        await ReleaseAsync(expired, cancellationToken);
        return expired.Count > 0;
    }
}
