using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Schedules;

/// <summary>
/// A candidate time on one schedule (<see cref="Option"/>, offered or not), every reason it is not offered, and the
/// appointments that take it (for BOOKED and HELD; shown only as far as the caller may see them).
/// </summary>
public sealed record ExplainedTime(AvailabilityOption Option, Unoffered Reasons, IReadOnlyList<Appointment> TakenBy)
{
    public bool Offered => Reasons == Unoffered.None;
}

/// <summary>
/// One schedule's candidate times and their reasons, from its slots and busy time as availability reads them:
/// one-seat time by its busy spans (<see cref="BusyTime.Kinded"/>); a slot with seats (<see cref="SlotSeats"/>) by the
/// busy spans beside it (<see cref="BusyTime.KindedBeside"/>: whoever sits on it does not hide it), its status and
/// its seats left. <see cref="AvailabilitySearch"/> adds the schedule's own reasons (<see cref="UnofferedReasons.OfSchedule"/>).
/// </summary>
internal sealed class AvailabilityCandidates
{
    private readonly List<Slot> _own;
    private readonly IReadOnlyList<BusySpan> _busy;
    private readonly IReadOnlyList<BusySpan> _busyBesideOpen;
    private readonly Dictionary<string, Unoffered> _shared;
    private readonly Dictionary<string, int> _open;

    public AvailabilityCandidates(List<Slot> own, IReadOnlyList<Appointment> appointments, IReadOnlyList<Fhir.FhirReference> actors, DateTimeOffset now)
    {
        _own = own;
        _busy = BusyTime.Kinded(own, appointments, actors, now);
        // A slot with seats: its status (FREE while seats are left), the busy time beside its seats, and its seats left.
        _shared = own.Where(s => SlotSeats.IsShared(s) && s.Id is not null && s.Status != SlotStatus.EnteredInError && TimeRange.Of(s.Start, s.End) is not null)
            .ToDictionary(s => s.Id!, s =>
                (s.Status == SlotStatus.Free ? Unoffered.None : UnofferedReasons.OfSlotStatus(s))
                | Overlapping(BusyTime.KindedBeside(s, own, appointments, actors, now), TimeRange.Of(s.Start, s.End)!.Value)
                | (SlotSeats.SeatsLeft(s, appointments, now) > 0 ? Unoffered.None : Unoffered.CapacityFull));
        _open = _shared.Where(x => x.Value == Unoffered.None).ToDictionary(x => x.Key, x => SlotSeats.SeatsLeft(own.First(s => s.Id == x.Key), appointments, now));
        var open = _open.Keys.ToHashSet();
        _busyBesideOpen = open.Count == 0 ? _busy : BusyTime.Kinded(own, appointments.Where(a => !SlotSeats.SharesSeats(a, open)), actors, now);
    }

    /// <summary>
    /// The rule's candidates, with seats: a candidate over a made rule Slot with seats left is offered exactly as that
    /// Slot (its seats left); every other candidate must be clear of the time its seats take (else BOOKED).
    /// </summary>
    public IEnumerable<ExplainedTime> FromRule(Schedule schedule, AvailabilityRule rule, DateTimeOffset from, DateTimeOffset to, int? durationMinutes, bool everyCandidate)
    {
        var open = _own.Where(s => s.Id is not null && _open.ContainsKey(s.Id)).Select(s => (Slot: s, Time: TimeRange.Of(s.Start, s.End)!.Value)).ToList();
        foreach (var candidate in rule.Explain(from, to, durationMinutes ?? rule.SlotMinutes, _busyBesideOpen, everyCandidate))
        {
            var span = new TimeRange(candidate.Start, candidate.End);
            var over = open.Count == 0 ? [] : open.Where(o => o.Time.Overlaps(span)).ToList();
            var exact = over.Count == 1 && over[0].Time == span;
            var reasons = candidate.Reasons | (over.Count > 0 && !exact ? Unoffered.Booked : Unoffered.None);
            var option = new AvailabilityOption(candidate.Start, candidate.End, schedule, [RuleSlots.Id(schedule.Id!, candidate.Start, candidate.End)], AvailabilitySource.Rule,
                exact ? _open[over[0].Slot.Id!] : rule.Capacity);
            yield return new ExplainedTime(option, reasons, TakenBy(span, reasons));
        }
    }

    /// <summary>
    /// Each slot, or with a duration longer than a slot, the run of contiguous slots from it that covers it (preferring
    /// an offerable one where two start at once): offered as the run's whole span, what booking its slots takes (a
    /// 45-minute wish over 30-minute slots is offered as the hour they make), with every reason of any of its slots
    /// (a free slot: what takes the busy time over it; a slot with seats: its status, the time beside its seats, its
    /// seats left) and <see cref="Unoffered.OutsideHours"/> when no run is long enough. Without
    /// <paramref name="everyCandidate"/> only runs from offerable slots are made (the others have a reason).
    /// </summary>
    public IEnumerable<ExplainedTime> FromSlots(Schedule schedule, DateTimeOffset from, DateTimeOffset to, int? durationMinutes, bool everyCandidate)
    {
        var slots = _own.Where(s => s.Id is not null && s.Status != SlotStatus.EnteredInError && s.Start >= from && s.End <= to && s.Start < s.End)
            .OrderBy(s => s.Start)
            .Select(s => (Slot: s, Reasons: ReasonsOf(s)))
            .ToList();
        var byStart = slots.ToLookup(s => s.Slot.Start!.Value);
        var needed = durationMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
        foreach (var first in slots.Where(s => everyCandidate || s.Reasons == Unoffered.None))
        {
            var run = new List<(Slot Slot, Unoffered Reasons)> { first };
            while (needed is { } length && run[^1].Slot.End - run[0].Slot.Start < length &&
                   byStart[run[^1].Slot.End!.Value].OrderBy(s => s.Reasons != Unoffered.None).FirstOrDefault() is { Slot: not null } next)
            {
                run.Add(next);
            }

            var reasons = run.Aggregate(Unoffered.None, (all, s) => all | s.Reasons)
                | (needed is { } wanted && run[^1].Slot.End - run[0].Slot.Start < wanted ? Unoffered.OutsideHours : Unoffered.None);
            var option = new AvailabilityOption(run[0].Slot.Start!.Value, run[^1].Slot.End!.Value, schedule, [.. run.Select(s => s.Slot.Id!)], AvailabilitySource.Slot,
                run.Min(s => _open.GetValueOrDefault(s.Slot.Id!, 1)));
            yield return new ExplainedTime(option, reasons, TakenBy(new TimeRange(option.Start, option.End), reasons));
        }
    }

    /// <summary>A slot's own reasons: a slot with seats by its seats (<see cref="_shared"/>), any other by what takes the busy time over it (itself too, when it stands).</summary>
    private Unoffered ReasonsOf(Slot slot) =>
        _shared.TryGetValue(slot.Id!, out var reasons) ? reasons : Overlapping(_busy, TimeRange.Of(slot.Start, slot.End)!.Value);

    private static Unoffered Overlapping(IReadOnlyList<BusySpan> busy, TimeRange span)
    {
        var reasons = Unoffered.None;
        foreach (var b in busy)
        {
            if (b.Time.Overlaps(span))
            {
                reasons |= b.Reason;
            }
        }

        return reasons;
    }

    /// <summary>The appointments taking a time that is booked or held (none otherwise).</summary>
    private IReadOnlyList<Appointment> TakenBy(TimeRange span, Unoffered reasons) =>
        (reasons & (Unoffered.Booked | Unoffered.Held | Unoffered.CapacityFull)) == 0 ? []
        : [.. _busy.Where(b => b.Appointment is not null && b.Time.Overlaps(span)).Select(b => b.Appointment!).DistinctBy(a => a.Id)];
}
