using Hl7.Fhir.Model;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// What a booking, a hold or a reschedule asks for: slots of one schedule (some maybe still planned).
/// <see cref="KnownSchedule"/>: the schedule as an earlier attempt of the same request read it (a retry after a lost
/// race reads busy time and guards again, not the schedule). <see cref="AlreadyOurs"/>: slots the appointment holds
/// already (they may be busy or held, not blocked); every other slot must be free, overbookable, or held only by
/// expired holds.
/// </summary>
public sealed record SpanRequest(
    IReadOnlyList<Slot> Slots,
    IReadOnlyList<FhirReference> Practitioners,
    string? MovingAppointmentId,
    string? NewBookingForPatientId = null,
    Schedule? KnownSchedule = null,
    IReadOnlySet<string>? AlreadyOurs = null);

/// <summary>A span that passed every check: its schedule, and the guards its change must claim last (<see cref="SpanGuards"/>).</summary>
public sealed record CheckedSpan(Schedule Schedule, IReadOnlyList<Basic> Guards)
{
    public IEnumerable<FhirWrite> GuardWrites => SpanGuards.Claim(Guards);

    /// <summary>Slot id → who sits on it (<see cref="SlotSeats.Seated"/>, the moved appointment left out), for the slots with seats being taken.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Appointment>> Seated { get; init; } = new Dictionary<string, IReadOnlyList<Appointment>>();

    /// <summary>The slot written as its seats are after <paramref name="taker"/> takes it (<see cref="SlotSeats.Write"/>).</summary>
    public FhirWrite Take(Slot slot, Appointment taker)
    {
        ArgumentNullException.ThrowIfNull(slot);
        return SlotSeats.Write(slot, [.. slot.Id is { } id && Seated.TryGetValue(id, out var seated) ? seated : [], taker]);
    }
}

/// <summary>
/// Every check that taking time makes, in one place, for book, hold, reschedule, confirm and accept alike, in this
/// order: first what writes nothing and tells nothing of any slot's status (the slots belong to one active schedule
/// the caller may book on, its practitioners are actors of it, the span is in the future, inside the planning
/// horizon and at most <see cref="AppointmentSearches.MaxAppointmentLength"/> long, rule options are offered); then
/// the caller's booking rules; only then guards (created if missing), the slots' status and busy time for every
/// actor of the schedule. Expired holds in the span are released there (the sweeper's path), not refused.
/// </summary>
public sealed class BookingChecks(IFhirStore store, SchedulingAccess access, SpanGuards guards, HoldExpiry expiry, TimeProvider time)
{
    /// <summary>The ValidationError rule of a span longer than <see cref="AppointmentSearches.MaxAppointmentLength"/>.</summary>
    public const string MaxLengthRule = "max-length";

    /// <summary>The ValidationError rules of invariant 4 (<see cref="BrokenTimeRule"/>).</summary>
    public const string ActiveScheduleRule = "active-schedule";

    public const string NotInThePastRule = "not-in-the-past";

    public const string PlanningHorizonRule = "planning-horizon";

    /// <summary>
    /// The BookingRuleError rule of a time on a schedule with an availability rule whose buffers
    /// (<see cref="AvailabilityRule.Buffered"/>) overlap busy time while the time itself is free: what availability and
    /// explain call <see cref="Unoffered.Buffer"/>.
    /// </summary>
    public const string BufferRule = "buffer";

    /// <summary>
    /// Runs every check; <paramref name="rules"/> (the booking rules) after validation and authorization and before
    /// anything is written, and once more if guards had to be created (what they guard is read after them). Returns
    /// the schedule and the guards read before busy time. Writes nothing but missing guards and the release of
    /// expired holds in the span (then the caller's attempt is run again: <see cref="ContendedException"/>).
    /// </summary>
    public async Task<CheckedSpan> CheckAsync(SpanRequest request, RuleJudging? rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var schedule = await AuthorizeAsync(request, cancellationToken);
        var actors = Actors(schedule);
        var span = new TimeRange(request.Slots[0].Start!.Value, request.Slots[^1].End!.Value);
        // On a schedule with a rule, busy time is read (and guarded) over the span with its buffers: time in them refuses it.
        var reach = AvailabilityRule.FromSchedule(schedule)?.Buffered(span) ?? span;

        // The guards first (read only), then the rules, then busy time: a change that commits after the guards are
        // read changes a guard's version. Guards missing are created only once the rules have passed. The caps' own
        // guards (a practitioner's day and week: BookingCaps.GuardKeys) serialize bookings that do not overlap.
        var keys = SpanGuards.Keys(actors, reach,
            [.. request.NewBookingForPatientId is { } patient ? [SpanGuards.OpenBookingsKey(patient)] : Array.Empty<string>(), .. rules?.GuardKeys(schedule) ?? []]);
        var claimed = await guards.FindAsync(keys, cancellationToken);
        var refusals = new List<SchedulingError>(rules is null ? [] : await rules.RefusalsAsync(schedule));
        if (refusals.Count == 0 && !SpanGuards.Complete(keys, claimed))
        {
            claimed = await guards.CreateMissingAsync(keys, claimed, cancellationToken);
            refusals.AddRange(rules is null ? [] : await rules.RefusalsAsync(schedule));
        }

        // Busy time's two searches at once (both after the guards, which is all their order needs), and who sits on
        // the slots with seats being taken (only when there are such slots).
        var slotSearch = store.SearchAllAsync<Slot>(SlotSearches.Overlapping([schedule.Id!], reach.Start, reach.End), cancellationToken);
        var appointmentSearch = actors.Count == 0 ? Task.FromResult<IReadOnlyList<Appointment>>([])
            : store.SearchAllAsync<Appointment>(AppointmentSearches.ActiveOverlapping(actors.Select(a => a.ToString()), reach.Start, reach.End), cancellationToken);
        var shared = request.Slots.Where(s => s.Id is not null && SlotSeats.IsShared(s)).Select(s => s.Id!).ToList();
        var seatSearch = shared.Count == 0 ? Task.FromResult<IReadOnlyList<Appointment>>([])
            : store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots(shared), cancellationToken);
        await Task.WhenAll(slotSearch, appointmentSearch, seatSearch);
        var appointments = await appointmentSearch;
        var now = time.GetUtcNow();
        var deadHeld = StandingTime.HeldOnlyByExpiredHolds(appointments, now);
        var others = (await seatSearch).Where(a => a.Id != request.MovingAppointmentId).ToList();
        var seated = shared.ToDictionary(id => id, id => SlotSeats.Seated(id, others, now));
        // Every reason in one answer: the rules' refusals and, found in the same pass, the slots' and busy time's.
        var taken = request.Slots.Where(s => s.Id is not null && !MayTake(s, request.AlreadyOurs, deadHeld, seated, access.CanOverbook)).Select(s => s.Id!).ToList();
        if (taken.Count > 0)
        {
            refusals.Add(new SlotUnavailableError(taken.Any(seated.ContainsKey) ? "No seat is left on the slot." : "The slot is no longer free.", taken));
        }
        else if (BusyTime.Conflicts(span, await slotSearch, appointments, request.Slots, request.MovingAppointmentId, now).Any)
        {
            refusals.Add(new SlotUnavailableError("That time is no longer free.", [.. request.Slots.Select(RuleSlots.ClientId)]));
        }
        else if (reach != span && BusyTime.Conflicts(reach, await slotSearch, appointments, request.Slots, request.MovingAppointmentId, now).Any)
        {
            // The time is free, its buffers are not (Unoffered.Buffer: the same busy time, over AvailabilityRule.Buffered).
            refusals.Add(new BookingRuleError($"{span.Start:O} to {span.End:O} is inside the buffer schedule '{schedule.Id}' keeps around busy time.", BufferRule));
        }

        if (refusals.Count > 0)
        {
            throw new SchedulingException(refusals);
        }

        // Expired holds over the span are dead: released (only these), then the attempt reads everything again.
        var dead = appointments.Where(a => a.Id != request.MovingAppointmentId && GatewayProfile.IsExpiredHold(a, now) &&
            TimeRange.Of(a.Start, a.End) is { } held && held.Overlaps(span)).ToList();
        if (dead.Count > 0)
        {
            await expiry.ReleaseAsync(dead, cancellationToken);
            throw new ContendedException(new InvalidOperationException("Expired holds in the span were released."));
        }

        return new CheckedSpan(schedule, claimed) { Seated = seated };
    }

    /// <summary>
    /// Validation and authorization: the slots belong to one schedule the caller may book on (checked before any
    /// other answer), its practitioners are actors of it, it is active, the span lies in the future, inside the
    /// planning horizon, not longer than an appointment may be, and its rule options are offered. Reads the schedule
    /// (unless known); writes nothing and tells nothing of any slot's status.
    /// </summary>
    /// <summary>The one check that the caller may book on a schedule (a single booking, a series).</summary>
    public static void RequireMayBookOn(SchedulingAccess access, Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(schedule);
        SchedulingAccess.Require(access.CanBookOn(schedule), () => new ForbiddenError($"Schedule '{schedule.Id}' is not this caller's to book on."));
    }

    public async Task<Schedule> AuthorizeAsync(SpanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scheduleReference = FhirReference.From(request.Slots[0].Schedule);
        if (scheduleReference is null || request.Slots.Any(s => FhirReference.From(s.Schedule) != scheduleReference))
        {
            throw Fail(new ValidationError("All slots of one booking must belong to one schedule.", "slotIds"));
        }

        var schedule = request.KnownSchedule is { } known && known.Id == scheduleReference.Value.Id
            ? known
            : await store.ReadRequiredAsync<Schedule>(scheduleReference.Value.Id, cancellationToken);
        RequireMayBookOn(access, schedule);
        RequireActorsOf(request.Practitioners, [schedule]);

        var span = new TimeRange(request.Slots[0].Start!.Value, request.Slots[^1].End!.Value);
        if (BrokenTimeRule(schedule, span, time.GetUtcNow()) is { } broken)
        {
            throw Fail(TimeRuleError(broken, schedule, span, "slotIds"));
        }

        if (span.Length > AppointmentSearches.MaxAppointmentLength)
        {
            // Overlap searches look back this far for appointments (FHIR R4 has no end search): a longer one would go unseen.
            throw Fail(new ValidationError(
                $"An appointment may last at most {AppointmentSearches.MaxAppointmentLength.TotalHours:0} hours.", "slotIds", MaxLengthRule));
        }

        if (RuleSlots.NotOffered(schedule, request.Slots) is { Count: > 0 } notOffered)
        {
            throw Fail(new SlotUnavailableError("That time is not offered by the schedule's availability.", notOffered));
        }

        return schedule;
    }

    /// <summary>
    /// Whether a slot may be taken: the appointment's own and not blocked; with seats (<see cref="SlotSeats"/>), not
    /// blocked and a seat left for this caller; else free or held only by expired holds.
    /// </summary>
    private static bool MayTake(
        Slot slot, IReadOnlySet<string>? ours, IReadOnlySet<string> deadHeld, Dictionary<string, IReadOnlyList<Appointment>> seated, bool mayOverbook) =>
        ours?.Contains(slot.Id!) == true ? slot.Status is SlotStatus.Free or SlotStatus.Busy or SlotStatus.BusyTentative
        : seated.TryGetValue(slot.Id!, out var sitting)
            ? slot.Status is SlotStatus.Free or SlotStatus.Busy or SlotStatus.BusyTentative && sitting.Count < SlotSeats.Limit(slot, mayOverbook)
            : SlotReservation.IsTakeable(slot) || StandingTime.IsDeadHeld(slot, deadHeld);

    /// <summary>
    /// Invariant 4 in one place, for every path that takes time or makes it bookable (book, hold, reschedule, confirm,
    /// accept, createSlots): the rule the span breaks on this schedule, or null. In this order: the schedule is
    /// active, the span starts after <paramref name="now"/>, it lies wholly inside the planning horizon.
    /// </summary>
    public static string? BrokenTimeRule(Schedule schedule, TimeRange span, DateTimeOffset now) =>
        !IsActive(schedule) ? ActiveScheduleRule
        : span.Start <= now ? NotInThePastRule
        : !InsideHorizon(schedule, span) ? PlanningHorizonRule
        : null;

    /// <summary>The typed refusal of a <see cref="BrokenTimeRule"/>, naming the rule and the input field it is about.</summary>
    public static ValidationError TimeRuleError(string rule, Schedule schedule, TimeRange span, string field)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return new ValidationError(rule switch
        {
            ActiveScheduleRule => $"Schedule '{schedule.Id}' is not active.",
            NotInThePastRule => $"{span.Start:O} has passed.",
            _ => $"{span.Start:O} to {span.End:O} lies outside schedule '{schedule.Id}''s planning horizon.",
        }, field, rule);
    }

    public static IReadOnlyList<FhirReference> Actors(Schedule schedule) =>
        [.. (schedule?.Actor ?? []).Select(FhirReference.From).OfType<FhirReference>()];

    /// <summary>Whether time may be offered and taken on this schedule (FHIR: an absent <c>active</c> means active).</summary>
    public static bool IsActive(Schedule schedule) => schedule?.Active != false;

    /// <summary>The part of a span inside the schedule's planning horizon (an open end is unbounded); null when none is.</summary>
    public static TimeRange? WithinHorizon(Schedule schedule, TimeRange span)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var start = FhirTime.Parse(schedule.PlanningHorizon?.Start) is { } horizonStart && horizonStart > span.Start ? horizonStart : span.Start;
        var end = FhirTime.Parse(schedule.PlanningHorizon?.End) is { } horizonEnd && horizonEnd < span.End ? horizonEnd : span.End;
        return TimeRange.Of(start, end);
    }

    /// <summary>Wholly inside the schedule's planning horizon.</summary>
    public static bool InsideHorizon(Schedule schedule, TimeRange span) => WithinHorizon(schedule, span) == span;

    /// <summary>
    /// The one refusal of a practitioner named who is not an actor of the schedule the booking takes (of any of them,
    /// when it takes several: <see cref="MultiResource.SpanParts"/>).
    /// </summary>
    public static void RequireActorsOf(IReadOnlyList<FhirReference> named, IReadOnlyList<Schedule> schedules)
    {
        ArgumentNullException.ThrowIfNull(named);
        ArgumentNullException.ThrowIfNull(schedules);
        var actors = schedules.SelectMany(Actors).ToHashSet();
        if (named.Where(p => !actors.Contains(p)).Select(p => (FhirReference?)p).FirstOrDefault() is { } stranger)
        {
            var which = schedules.Count == 1 ? $"schedule '{schedules[0].Id}'" : "any schedule the booking takes";
            throw Fail(new ValidationError($"{stranger} is not an actor of {which}.", "practitionerId", "actor-of-schedule"));
        }
    }

    private static SchedulingException Fail(SchedulingError error) => new(error);
}
