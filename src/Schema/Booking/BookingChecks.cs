using Hl7.Fhir.Model;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// What a booking, a hold or a reschedule asks for: slots of one schedule (some maybe still planned).
/// <see cref="KnownSchedule"/>: the schedule as an earlier attempt of the same request read it (a retry after a lost
/// race reads busy time and guards again, not the schedule).
/// </summary>
public sealed record SpanRequest(
    IReadOnlyList<Slot> Slots,
    IReadOnlyList<FhirReference> Practitioners,
    string? MovingAppointmentId,
    string? NewBookingForPatientId = null,
    Schedule? KnownSchedule = null);

/// <summary>A span that passed every check: its schedule, and the guards its change must claim last (<see cref="SpanGuards"/>).</summary>
public sealed record CheckedSpan(Schedule Schedule, IReadOnlyList<Basic> Guards)
{
    public IEnumerable<FhirWrite> GuardWrites => SpanGuards.Claim(Guards);
}

/// <summary>
/// Every check that taking time makes, in one place, for book, hold and reschedule alike: the slots belong to one
/// active schedule the caller may book on, its practitioners are actors of that schedule, the span lies in the
/// future and inside the planning horizon, and the whole span is free for every actor of the schedule.
/// </summary>
public sealed class BookingChecks(IFhirStore store, SchedulingAccess access, SpanGuards guards, TimeProvider time)
{
    /// <summary>Runs every check; returns the schedule and the guards read before busy time. Writes nothing but missing guards.</summary>
    public async Task<CheckedSpan> CheckAsync(SpanRequest request, CancellationToken cancellationToken)
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
        SchedulingAccess.Require(access.CanBookOn(schedule), () => new ForbiddenError($"Schedule '{schedule.Id}' is not this caller's to book on."));
        var actors = Actors(schedule);
        if (request.Practitioners.Where(p => !actors.Contains(p)).Select(p => (FhirReference?)p).FirstOrDefault() is { } stranger)
        {
            throw Fail(new ValidationError($"{stranger} is not an actor of schedule '{schedule.Id}'.", "practitionerId", "actor-of-schedule"));
        }

        if (!IsActive(schedule))
        {
            throw Fail(new ValidationError($"Schedule '{schedule.Id}' is not active.", "slotIds", "active-schedule"));
        }

        var span = new TimeRange(request.Slots[0].Start!.Value, request.Slots[^1].End!.Value);
        var now = time.GetUtcNow();
        if (span.Start <= now)
        {
            throw Fail(new ValidationError("That time has passed.", "slotIds", "not-in-the-past"));
        }

        if (!InsideHorizon(schedule, span))
        {
            throw Fail(new ValidationError($"That time lies outside schedule '{schedule.Id}''s planning horizon.", "slotIds", "planning-horizon"));
        }

        // The guards first, then busy time: a change that commits after this read changes a guard's version.
        var claimed = await guards.ReadAsync(actors, span,
            request.NewBookingForPatientId is { } patient ? [SpanGuards.OpenBookingsKey(patient)] : null, cancellationToken);
        // Busy time's two searches at once (both after the guards, which is all their order needs).
        var slots = store.SearchAllAsync<Slot>(SlotSearches.Overlapping([schedule.Id!], span.Start, span.End), cancellationToken);
        var appointments = actors.Count == 0 ? Task.FromResult<IReadOnlyList<Appointment>>([])
            : store.SearchAllAsync<Appointment>(AppointmentSearches.ActiveOverlapping(actors.Select(a => a.ToString()), span.Start, span.End), cancellationToken);
        await Task.WhenAll(slots, appointments);
        var conflicts = BusyTime.Conflicts(span, await slots, await appointments, request.Slots, request.MovingAppointmentId, now);
        if (conflicts.Any)
        {
            throw Fail(new SlotUnavailableError("That time is no longer free.", [.. request.Slots.Select(RuleSlots.ClientId)]));
        }

        return new CheckedSpan(schedule, claimed);
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

    private static SchedulingException Fail(SchedulingError error) => new(error);
}
