using Hl7.Fhir.Model;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Booking;

/// <summary>
/// One change's booking rules, run by <see cref="BookingChecks.CheckAsync"/> once the schedule is read: their refusals
/// (all of them), and the guards the caps need claimed besides the span's (<see cref="BookingCaps.GuardKeys"/>). A
/// change taking <paramref name="parts"/> schedules at once (<see cref="MultiResource.SpanParts"/>) is checked part
/// by part, but judged ONCE, with every part's schedule: the parts before the last answer no refusal here, the last
/// (and its re-check once guards were created) the change's; guard keys are each part's schedule's own.
/// </summary>
public sealed class RuleJudging(int parts, Func<IReadOnlyList<Schedule>, Task<IReadOnlyList<SchedulingError>>> refusals, Func<Schedule, IReadOnlyList<string>> guardKeys)
{
    private readonly List<Schedule> _schedules = [];

    public Task<IReadOnlyList<SchedulingError>> RefusalsAsync(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (_schedules.All(s => s.Id != schedule.Id))
        {
            _schedules.Add(schedule);
        }

        return _schedules.Count < parts ? Task.FromResult<IReadOnlyList<SchedulingError>>([]) : refusals([.. _schedules]);
    }

    public IReadOnlyList<string> GuardKeys(Schedule schedule) => guardKeys(schedule);
}

/// <summary>Which booking rules a change of an appointment's time answers to (<see cref="BookingRules.ScopeOf"/>).</summary>
public enum RuleScope
{
    /// <summary>Open already (booked or pending) and keeping its time: a hold confirmed or accepted, a booking accepted again. It keeps the rules it passed.</summary>
    None,

    /// <summary>Moving to other time (reschedule): every rule but the open-bookings limit, since it stays one open appointment.</summary>
    Move,

    /// <summary>Becoming open now (book, hold, a proposed appointment accepted): every rule, and the patient's guard serializes it with the patient's other such changes.</summary>
    NewlyOpen,
}
