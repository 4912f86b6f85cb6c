using System.ComponentModel.DataAnnotations;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>Bound from the <c>Booking</c> section: the built-in rules and holds.</summary>
public sealed class BookingOptions
{
    public const string SectionName = "Booking";

    /// <summary>A booking must start at least this long after now.</summary>
    [Range(0, 60 * 24 * 30)]
    public int MinimumLeadTimeMinutes { get; set; }

    /// <summary>A booking may start at most this many days ahead.</summary>
    [Range(1, 3650)]
    public int MaximumDaysAhead { get; set; } = 365;

    /// <summary>How many upcoming booked or held appointments one patient may have; 0 means no limit.</summary>
    [Range(0, 1000)]
    public int MaxOpenBookingsPerPatient { get; set; } = 20;

    [Range(1, 24 * 60)]
    public int DefaultHoldMinutes { get; set; } = 10;

    [Range(1, 24 * 60)]
    public int MaxHoldMinutes { get; set; } = 60;

    /// <summary>How long before its start an appointment may be checked in or marked arrived (no-show and fulfilment: from its start).</summary>
    [Range(0, 24 * 60)]
    public int CheckInMinutesBeforeStart { get; set; } = 60;

    /// <summary>A booked appointment may be cancelled only this long before it starts (0: any time); schedules may set their own (<see cref="ScheduleLimits"/>).</summary>
    [Range(0, ScheduleLimits.MaxNoticeMinutes)]
    public int MinimumCancelNoticeMinutes { get; set; }

    /// <summary>A booked appointment may be moved only this long before it starts (0: any time); schedules may set their own.</summary>
    [Range(0, ScheduleLimits.MaxNoticeMinutes)]
    public int MinimumRescheduleNoticeMinutes { get; set; }

    /// <summary>Bookings one practitioner of a schedule takes per local day (0: no cap); schedules may set their own.</summary>
    [Range(0, 1000)]
    public int MaxBookingsPerPractitionerPerDay { get; set; }

    /// <summary>Bookings one practitioner of a schedule takes per local week, Monday to Sunday (0: no cap); schedules may set their own.</summary>
    [Range(0, 10000)]
    public int MaxBookingsPerPractitionerPerWeek { get; set; }

    /// <summary>Bookings one patient may have within any <see cref="PatientPeriodDays"/> days (0: no cap).</summary>
    [Range(0, 1000)]
    public int MaxBookingsPerPatientPerPeriod { get; set; }

    [Range(1, 366)]
    public int PatientPeriodDays { get; set; } = 30;

    /// <summary>How often expired holds are looked for and released.</summary>
    [Range(1, 3600)]
    public int HoldSweepSeconds { get; set; } = 5;
}

/// <summary>
/// What a booking rule sees: who books what, when; <see cref="AlsoOpening"/>: the spans of the other appointments the
/// same change opens for the patient on the same schedule (a series' occurrences accepted before this one), which the
/// open-bookings limit and the caps count as if they stood already; <see cref="Schedule"/>: the schedule booked on
/// (the first, when the change takes several at once: <see cref="Schedules"/>, every one, judged once together);
/// <see cref="MovedFrom"/>: a rescheduled appointment's start before the move; <see cref="NoticeExempt"/>: the caller
/// is not held to the notice cutoffs (<see cref="BookingRules.NoticeExempt"/>).
/// </summary>
public sealed record BookingRuleContext(
    Patient Patient,
    IReadOnlyList<Slot> Slots,
    DateTimeOffset Start,
    DateTimeOffset End,
    DateTimeOffset Now,
    string? RescheduledAppointmentId,
    IFhirStore Fhir)
{
    public IReadOnlyList<TimeRange> AlsoOpening { get; init; } = [];

    public Schedule? Schedule { get; init; }

    /// <summary>Every schedule the change takes (several resources at once: one per part), the first being <see cref="Schedule"/>.</summary>
    public IReadOnlyList<Schedule> Schedules { get; init; } = [];

    /// <summary>
    /// How many bookings the change opens for the patient besides <see cref="AlsoOpening"/>: one per part whose
    /// schedule has a practitioner (two practitioners' time in one appointment counts as two), at least one.
    /// </summary>
    public int Opening => Math.Max(1, Schedules.Count(s => s.Actor.Any(a => FhirReference.From(a)?.ResourceType == "Practitioner")));

    public DateTimeOffset? MovedFrom { get; init; }

    public bool NoticeExempt { get; init; }
}

/// <summary>
/// A rule run before every booking, hold, reschedule and acceptance of a proposed appointment (<see cref="BookingRules"/>
/// says when; what Medplum does with Bots). Register more with
/// <c>services.AddSingleton&lt;IBookingRule, MyRule&gt;()</c>; a refusal becomes a ValidationError naming the rule.
/// </summary>
public interface IBookingRule
{
    string Name { get; }

    /// <summary>Null to allow; otherwise why the booking is refused.</summary>
    ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken);

    /// <summary>The typed refusals (<see cref="BookingRuleError"/>), none to allow: by default <see cref="CheckAsync"/>'s message under <see cref="Name"/>. A rule with several limits (a day and a week cap) may report each.</summary>
    async ValueTask<IReadOnlyList<BookingRuleError>> JudgeAsync(BookingRuleContext context, CancellationToken cancellationToken) =>
        await CheckAsync(context, cancellationToken) is { } refusal ? [new BookingRuleError(refusal, Name)] : [];
}

public sealed class MinimumLeadTimeRule(IOptions<BookingOptions> options) : IBookingRule
{
    public const string RuleName = "minimum-lead-time";

    public string Name => RuleName;

    /// <summary>The one lead-time predicate (booking and availability's <see cref="Unoffered.LeadTime"/>): it starts too soon.</summary>
    public static bool Breaks(BookingOptions options, DateTimeOffset start, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        return start < now + TimeSpan.FromMinutes(options.MinimumLeadTimeMinutes);
    }

    public ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(Breaks(options.Value, context.Start, context.Now)
            ? $"Bookings must start at least {options.Value.MinimumLeadTimeMinutes} minutes from now."
            : null);
    }
}

public sealed class MaximumDaysAheadRule(IOptions<BookingOptions> options) : IBookingRule
{
    public const string RuleName = "maximum-days-ahead";

    public string Name => RuleName;

    /// <summary>The one days-ahead predicate (booking and availability's <see cref="Unoffered.TooFarAhead"/>): it starts too far ahead.</summary>
    public static bool Breaks(BookingOptions options, DateTimeOffset start, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        return start > now.AddDays(options.MaximumDaysAhead);
    }

    public ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(Breaks(options.Value, context.Start, context.Now)
            ? $"Bookings can be made at most {options.Value.MaximumDaysAhead} days ahead."
            : null);
    }
}

public sealed class MaxOpenBookingsRule(IOptions<BookingOptions> options) : IBookingRule
{
    public string Name => "max-open-bookings";

    public async ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limit = options.Value.MaxOpenBookingsPerPatient;
        if (limit == 0 || context.RescheduledAppointmentId is not null)
        {
            return null;
        }

        // What stands, plus what the change opens besides the one it is judged for (a series' earlier occurrences,
        // the other practitioners' parts of a booking on several schedules).
        var open = ((await context.Fhir.SearchAsync(AppointmentSearches.OpenOfPatientCount(context.Patient.Id!, context.Now), cancellationToken)).Total ?? 0) +
                   context.AlsoOpening.Count + context.Opening - 1;
        if (open >= limit)
        {
            // Expired holds are dead (StandingTime), swept or not: only when they could matter are they looked up.
            var holds = await context.Fhir.SearchAllAsync<Appointment>(AppointmentSearches.PendingHoldsOfPatient(context.Patient.Id!, context.Now), cancellationToken);
            open -= holds.Count(h => !StandingTime.Stands(h, context.Now));
        }

        return open >= limit ? $"A patient may have at most {limit} upcoming appointments." : null;
    }
}

/// <summary>
/// The booking rules (lead time, days ahead, open bookings per patient, custom <see cref="IBookingRule"/>s), and the
/// one decision of when they judge a change, for every path that takes time. They judge time newly taken for a
/// patient: an appointment that becomes open (<see cref="AppointmentSearches.OpenStatuses"/>: booked or pending)
/// by booking, holding or accepting a proposed appointment, whatever its slots say (the gateway never wrote a
/// proposed appointment, so its rules never ran on it, and the slot status another FHIR client wrote proves
/// nothing), and an appointment moved by a reschedule. An appointment that is open already keeps the rules it
/// passed: a hold confirmed (or accepted) inside the lead time is not refused; it must still stand
/// (<see cref="StandingTime"/>). The open-bookings limit counts open appointments, so it and the patient's guard
/// apply exactly where an appointment becomes open. An appointment without a patient answers to no rule (they are
/// rules of a patient's booking). The rules run inside <see cref="BookingChecks"/>: after validation and
/// authorization, before anything is written.
/// </summary>
public sealed class BookingRules(IEnumerable<IBookingRule> rules, IOptions<BookingOptions> options, TimeProvider time, SchedulingAccess access)
{
    /// <summary>
    /// The rules a change answers to: <paramref name="before"/> the appointment's status (null for a new one),
    /// <paramref name="after"/> its status once changed, <paramref name="moves"/> whether it takes other time.
    /// </summary>
    public static RuleScope ScopeOf(AppointmentStatus? before, AppointmentStatus after, bool moves) =>
        moves ? RuleScope.Move
        : AppointmentSearches.IsOpen(after) && !AppointmentSearches.IsOpen(before) ? RuleScope.NewlyOpen
        : RuleScope.None;

    /// <summary>The patient whose guard the change must claim (<see cref="SpanRequest.NewBookingForPatientId"/>): only where an appointment becomes open and a patient limit (open bookings, bookings per period) is set.</summary>
    public string? GuardedPatient(RuleScope scope, string? patientId) =>
        scope == RuleScope.NewlyOpen && (options.Value.MaxOpenBookingsPerPatient > 0 || options.Value.MaxBookingsPerPatientPerPeriod > 0) ? patientId : null;

    /// <summary>
    /// Who is not held to the notice cutoffs (cancel, reschedule): schedulers and admins, who must be able to move or
    /// cancel a clinic's day at short notice (a practitioner falls ill). Patients and practitioners are held to them.
    /// </summary>
    public bool NoticeExempt => access.SeesEverything;

    /// <summary>The patient taking part in an appointment (the rules are theirs), if any.</summary>
    public static FhirReference? PatientOf(Appointment appointment) =>
        (appointment?.Participant ?? []).Select(p => FhirReference.From(p.Actor)).FirstOrDefault(r => r?.ResourceType == "Patient");

    /// <summary>
    /// The rules of one change, for <see cref="BookingChecks.CheckAsync"/> to run after authorization: null when its
    /// scope runs none. <paramref name="readPatient"/> is read first (null: no patient, no rule); <paramref name="parts"/>:
    /// the change's slots, one list per schedule it takes (all over one span), judged once together;
    /// <paramref name="moving"/>: the appointment a reschedule moves (its id and start), else null.
    /// </summary>
    public RuleJudging? Judging(
        RuleScope scope, Func<Task<Patient?>> readPatient, IReadOnlyList<IReadOnlyList<Slot>> parts, Appointment? moving, IFhirStore store, CancellationToken cancellationToken) =>
        Judging(scope, readPatient, parts, moving, [], store, cancellationToken);

    /// <summary>As <see cref="Judging(RuleScope, Func{Task{Patient}}, IReadOnlyList{IReadOnlyList{Slot}}, Appointment, IFhirStore, CancellationToken)"/>, the change also opening appointments over <paramref name="alsoOpening"/> for the patient (<see cref="BookingRuleContext.AlsoOpening"/>).</summary>
    public RuleJudging? Judging(
        RuleScope scope, Func<Task<Patient?>> readPatient, IReadOnlyList<IReadOnlyList<Slot>> parts, Appointment? moving, IReadOnlyList<TimeRange> alsoOpening, IFhirStore store,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readPatient);
        ArgumentNullException.ThrowIfNull(parts);
        if (scope == RuleScope.None)
        {
            return null;
        }

        var slots = parts[0];
        var start = slots[0].Start!.Value;
        return new RuleJudging(parts.Count,
            async schedules => await readPatient() is { } patient
                ? await RefusalsAsync(new BookingRuleContext(patient, [.. parts.SelectMany(p => p)], start, slots[^1].End!.Value, time.GetUtcNow(),
                    scope == RuleScope.Move ? moving?.Id : null, store)
                {
                    AlsoOpening = alsoOpening,
                    Schedule = schedules[0],
                    Schedules = schedules,
                    MovedFrom = scope == RuleScope.Move ? moving?.Start : null,
                    NoticeExempt = NoticeExempt,
                }, cancellationToken)
                : [],
            schedule => BookingCaps.GuardKeys(BookingLimits.Of(schedule, options.Value), schedule, start));
    }

    /// <summary>Runs every registered rule and throws a <see cref="SchedulingException"/> carrying every refusal, if any.</summary>
    public async Task CheckAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        if (await RefusalsAsync(context, cancellationToken) is { Count: > 0 } refusals)
        {
            throw new SchedulingException(refusals);
        }
    }

    /// <summary>Every registered rule's refusal (all of them run: a booking refused by two rules reports both).</summary>
    public async Task<IReadOnlyList<SchedulingError>> RefusalsAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        var refusals = new List<SchedulingError>();
        foreach (var rule in rules)
        {
            refusals.AddRange(await rule.JudgeAsync(context, cancellationToken));
        }

        return refusals;
    }

    /// <summary>
    /// Whether the cancellation cutoff can refuse cancelling this appointment at all, before its schedule is read: not
    /// when the caller is exempt (<see cref="NoticeExempt"/>), it is a hold (a hold is not a commitment; it lapses by
    /// itself anyway), it has no patient or no start, or it starts later than the longest notice there can be
    /// (<see cref="ScheduleLimits.MaxNoticeMinutes"/>, the global one's bound and every schedule's).
    /// </summary>
    public bool CancelNoticeCanApply(Appointment appointment)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        return !NoticeExempt && !GatewayProfile.IsHold(appointment) && PatientOf(appointment) is not null &&
            appointment.Start is { } start && start - time.GetUtcNow() < TimeSpan.FromMinutes(ScheduleLimits.MaxNoticeMinutes);
    }

    /// <summary>
    /// The cancellation cutoff (its own scope: time given back, not taken), for cancelAppointment and cancelSeriesFrom:
    /// an appointment the cutoff can apply to (<see cref="CancelNoticeCanApply"/>) within its schedule's cancel notice
    /// (the global one where the schedule sets none or is not known) is refused.
    /// </summary>
    public void CheckCancel(Appointment appointment, Schedule? schedule)
    {
        if (!CancelNoticeCanApply(appointment))
        {
            return;
        }

        var limits = BookingLimits.Of(schedule, options.Value);
        if (BookingCaps.NoticeBroken(BookingCaps.CancelNoticeRule, limits.CancelNoticeMinutes, appointment.Start, time.GetUtcNow(), "cancelled") is { } refusal)
        {
            throw new SchedulingException(refusal);
        }
    }
}
