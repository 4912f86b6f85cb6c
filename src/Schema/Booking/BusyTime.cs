using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>What makes a span unavailable: the ids of the slots and appointments in the way.</summary>
public sealed record BusyConflicts(IReadOnlyList<string> SlotIds, IReadOnlyList<string> AppointmentIds)
{
    public bool Any => SlotIds.Count > 0 || AppointmentIds.Count > 0;
}

/// <summary>A busy span, what takes it (<see cref="Unoffered.Booked"/>, <see cref="Unoffered.Held"/>, <see cref="Unoffered.Blocked"/>, <see cref="Unoffered.CapacityFull"/>) and the appointment that does, if one does.</summary>
public sealed record BusySpan(TimeRange Time, Unoffered Reason, Appointment? Appointment);

/// <summary>
/// The one busy-time rule (SCHEDULING.md invariant 1): a span is free for a schedule's actors when no Slot of any
/// length overlapping it is busy, held or blocked, and no active appointment of any of its actors overlaps it, except
/// the slots being taken themselves (checked for their own status) and, when rescheduling, the moved appointment.
/// An appointment that sits only on slots with seats being taken (<see cref="SlotSeats"/>: capacity, or overbooked) does
/// not count, whether seats are left is the slot's own check; an expired hold does not count.
/// </summary>
public static class BusyTime
{
    public static BusyConflicts Conflicts(
        TimeRange span,
        IEnumerable<Slot> slots,
        IEnumerable<Appointment> appointments,
        IReadOnlyCollection<Slot> taking,
        string? movingAppointmentId,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentNullException.ThrowIfNull(appointments);
        ArgumentNullException.ThrowIfNull(taking);
        var takingIds = taking.Where(s => s.Id is not null).Select(s => s.Id!).ToHashSet();
        // Seats of one slot being taken (SlotSeats): who sits on it takes no time from this booking; every other overlap does.
        var shared = taking.Where(s => SlotSeats.IsShared(s) && s.Id is not null).Select(s => s.Id!).ToHashSet();
        var deadHeld = StandingTime.HeldOnlyByExpiredHolds(appointments, now);
        var ownSlots = new HashSet<string>();
        var appointmentIds = new List<string>();
        foreach (var appointment in appointments.DistinctBy(a => a.Id))
        {
            var slotIds = appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(r => r.Id).ToList();
            if (appointment.Id == movingAppointmentId)
            {
                ownSlots.UnionWith(slotIds);
                continue;
            }

            if (!TakesTime(appointment, now) || TimeRange.Of(appointment.Start, appointment.End) is not { } time || !time.Overlaps(span) ||
                SlotSeats.SharesSeats(appointment, shared))
            {
                continue;
            }

            appointmentIds.Add(appointment.Id!);
        }

        var slotConflicts = slots
            .Where(s => s.Id is null || (!takingIds.Contains(s.Id) && !ownSlots.Contains(s.Id)))
            .Where(s => StandingTime.Stands(s, deadHeld) && TimeRange.Of(s.Start, s.End) is { } time && time.Overlaps(span))
            .Select(s => s.Id!)
            .ToList();
        return new BusyConflicts(slotConflicts, appointmentIds);
    }

    /// <summary>Whether an appointment takes its actors' time: active, and not a hold past its expiry.</summary>
    public static bool TakesTime(Appointment appointment, DateTimeOffset now) => StandingTime.Stands(appointment, now);

    /// <summary>
    /// A schedule's busy spans: its busy slots, and the time of every appointment that takes the time of any of its
    /// actors (on whatever schedule), as <see cref="Conflicts"/> counts them; what availability leaves out.
    /// </summary>
    public static IReadOnlyList<TimeRange> Spans(IEnumerable<Slot> slots, IEnumerable<Appointment> appointments, IReadOnlyCollection<FhirReference> actors, DateTimeOffset now) =>
        [.. Kinded(slots, appointments, actors, now).Select(b => b.Time)];

    /// <summary>
    /// The busy spans of <see cref="Spans(IEnumerable{Slot}, IEnumerable{Appointment}, IReadOnlyCollection{FhirReference}, DateTimeOffset)"/>
    /// (one computation), each with what takes it (<see cref="UnofferedReasons.OfSlotStatus"/>, <see cref="UnofferedReasons.OfAppointment"/>)
    /// and the appointment when one does.
    /// </summary>
    public static IReadOnlyList<BusySpan> Kinded(IEnumerable<Slot> slots, IEnumerable<Appointment> appointments, IReadOnlyCollection<FhirReference> actors, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(appointments);
        ArgumentNullException.ThrowIfNull(actors);
        var deadHeld = StandingTime.HeldOnlyByExpiredHolds(appointments, now);
        var spans = new List<BusySpan>();
        foreach (var slot in slots ?? [])
        {
            if (StandingTime.Stands(slot, deadHeld) && TimeRange.Of(slot.Start, slot.End) is { } time)
            {
                spans.Add(new BusySpan(time, UnofferedReasons.OfSlotStatus(slot), null));
            }
        }

        foreach (var appointment in appointments)
        {
            if (TakesTime(appointment, now) && appointment.Participant.Any(p => FhirReference.From(p.Actor) is { } actor && actors.Contains(actor)) &&
                TimeRange.Of(appointment.Start, appointment.End) is { } time)
            {
                spans.Add(new BusySpan(time, UnofferedReasons.OfAppointment(appointment), appointment));
            }
        }

        return spans;
    }

    /// <summary>
    /// A schedule's busy spans as one slot with seats sees them (<see cref="SlotSeats"/>): whoever sits only on it takes
    /// no time from another seat on it, as <see cref="Conflicts"/> counts them when it is taken; every other busy span
    /// stays. What availability offers such a slot by.
    /// </summary>
    public static IReadOnlyList<TimeRange> SpansBeside(
        Slot shared, IEnumerable<Slot> slots, IEnumerable<Appointment> appointments, IReadOnlyCollection<FhirReference> actors, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(shared);
        return [.. KindedBeside(shared, slots, appointments, actors, now).Select(b => b.Time)];
    }

    /// <summary><see cref="SpansBeside"/> with what takes each span (<see cref="Kinded"/>).</summary>
    public static IReadOnlyList<BusySpan> KindedBeside(
        Slot shared, IEnumerable<Slot> slots, IEnumerable<Appointment> appointments, IReadOnlyCollection<FhirReference> actors, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(shared);
        var seat = new HashSet<string> { shared.Id ?? string.Empty };
        return Kinded((slots ?? []).Where(s => s.Id != shared.Id), (appointments ?? []).Where(a => !SlotSeats.SharesSeats(a, seat)), actors, now);
    }

    /// <summary>Busy, held or blocked: time that nobody else may take.</summary>
    public static bool IsBusy(Slot slot) =>
        slot?.Status is SlotStatus.Busy or SlotStatus.BusyTentative or SlotStatus.BusyUnavailable;

    /// <summary>The busy spans among these slots.</summary>
    public static IReadOnlyList<TimeRange> Spans(IEnumerable<Slot> slots) =>
        [.. slots.Where(IsBusy).Select(s => TimeRange.Of(s.Start, s.End)).OfType<TimeRange>()];

    /// <summary>Free slots that no busy span overlaps: what may be offered.</summary>
    public static IEnumerable<Slot> OfferableFree(IReadOnlyCollection<Slot> slots, IReadOnlyList<TimeRange> busy) =>
        OfferableFree(slots, busy, new HashSet<string>());

    /// <summary>
    /// Free slots, and slots held only by expired holds (<see cref="StandingTime.IsDeadHeld"/>: booking them releases
    /// the hold), that no busy span overlaps: what may be offered.
    /// </summary>
    public static IEnumerable<Slot> OfferableFree(IReadOnlyCollection<Slot> slots, IReadOnlyList<TimeRange> busy, IReadOnlySet<string> deadHeld)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentNullException.ThrowIfNull(busy);
        return slots.Where(s => (s.Status == SlotStatus.Free || StandingTime.IsDeadHeld(s, deadHeld)) &&
            TimeRange.Of(s.Start, s.End) is { } time && !busy.Any(b => b.Overlaps(time)));
    }
}
