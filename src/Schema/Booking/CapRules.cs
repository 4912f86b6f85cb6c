using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Cutoff: a reschedule moves an appointment away from its time only this long before it starts
/// (<see cref="BookingLimits.RescheduleNoticeMinutes"/>, the schedule's or the global). Schedulers and admins are exempt.
/// </summary>
public sealed class MinimumRescheduleNoticeRule(IOptions<BookingOptions> options) : IBookingRule
{
    public string Name => BookingCaps.RescheduleNoticeRule;

    public ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken) => ValueTask.FromResult(Refusal(context)?.Message);

    public ValueTask<IReadOnlyList<BookingRuleError>> JudgeAsync(BookingRuleContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<BookingRuleError>>(Refusal(context) is { } refusal ? [refusal] : []);

    private BookingRuleError? Refusal(BookingRuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.NoticeExempt || context.MovedFrom is null ? null
            : BookingCaps.NoticeBroken(Name, BookingLimits.Of(context.Schedule, options.Value).RescheduleNoticeMinutes, context.MovedFrom, context.Now, "rescheduled");
    }
}

/// <summary>
/// Caps: bookings per practitioner of the schedule per local day and per week (<see cref="BookingCaps.PractitionerCapsBroken"/>),
/// counted from one search of the week and the change's other openings (<see cref="BookingRuleContext.AlsoOpening"/>). Both caps in one rule class, each refusal named by its own rule.
/// </summary>
public sealed class PractitionerCapsRule(IOptions<BookingOptions> options) : IBookingRule
{
    public string Name => BookingCaps.DayCapRule;

    public async ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken) =>
        await JudgeAsync(context, cancellationToken) is { Count: > 0 } broken ? broken[0].Message : null;

    /// <summary>
    /// Every cap broken (day, week): a booking over both reports both; a booking on several schedules at once, each
    /// schedule's caps for its own practitioners (each rule named once).
    /// </summary>
    public async ValueTask<IReadOnlyList<BookingRuleError>> JudgeAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var broken = new List<BookingRuleError>();
        foreach (var schedule in context.Schedules.Count > 0 ? context.Schedules : context.Schedule is { } one ? [one] : [])
        {
            broken.AddRange((await JudgeAsync(context, schedule, cancellationToken)).Where(e => broken.All(b => b.Rule != e.Rule)));
        }

        return broken;
    }

    private async Task<IReadOnlyList<BookingRuleError>> JudgeAsync(BookingRuleContext context, Schedule schedule, CancellationToken cancellationToken)
    {
        var limits = BookingLimits.Of(schedule, options.Value);
        var actors = BookingCaps.CappedActors(schedule);
        if ((limits.MaxPerDay == 0 && limits.MaxPerWeek == 0) || actors.Count == 0)
        {
            return [];
        }

        var week = BookingCaps.CountedSpan(schedule, context.Start);
        var counted = await context.Fhir.SearchAllAsync<Appointment>(
            AppointmentSearches.CountedStarting(actors.Select(a => a.ToString()), week.Start, week.End), cancellationToken);
        return BookingCaps.PractitionerCapsBroken(limits, schedule, context.Start, counted, context.AlsoOpening.Select(s => s.Start), context.RescheduledAppointmentId, context.Now);
    }
}

/// <summary>
/// Cap: bookings per patient within any <see cref="BookingOptions.PatientPeriodDays"/> days
/// (<see cref="BookingCaps.PatientCapBroken"/>). Judges appointments newly open (with the change's other openings, <see cref="BookingRuleContext.AlsoOpening"/>); a move keeps its count.
/// </summary>
public sealed class PatientPeriodCapRule(IOptions<BookingOptions> options) : IBookingRule
{
    public string Name => BookingCaps.PatientCapRule;

    public async ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (max, days) = (options.Value.MaxBookingsPerPatientPerPeriod, options.Value.PatientPeriodDays);
        if (max == 0 || context.RescheduledAppointmentId is not null)
        {
            return null;
        }

        var window = BookingCaps.PatientSpan(context.Start, days);
        var counted = await context.Fhir.SearchAllAsync<Appointment>(
            AppointmentSearches.CountedStarting(["Patient/" + context.Patient.Id], window.Start, window.End), cancellationToken);
        var starts = counted.Where(a => BookingCaps.Counts(a, context.Now) && a.Start is not null).DistinctBy(a => a.Id).Select(a => a.Start!.Value)
            .Concat(context.AlsoOpening.Select(s => s.Start));
        return BookingCaps.PatientCapBroken(max, days, context.Start, starts)
            ? $"A patient may have at most {max} bookings within {days} days."
            : null;
    }

    public async ValueTask<IReadOnlyList<BookingRuleError>> JudgeAsync(BookingRuleContext context, CancellationToken cancellationToken) =>
        await CheckAsync(context, cancellationToken) is { } refusal ? [new BookingRuleError(refusal, Name, options.Value.MaxBookingsPerPatientPerPeriod)] : [];
}
