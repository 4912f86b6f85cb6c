using System.ComponentModel.DataAnnotations;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
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

    /// <summary>How often expired holds are looked for and released.</summary>
    [Range(1, 3600)]
    public int HoldSweepSeconds { get; set; } = 5;
}

/// <summary>What a booking rule sees: who books what, when; <see cref="AlsoOpening"/>: how many other appointments the same change opens for the patient (a series' other occurrences).</summary>
public sealed record BookingRuleContext(
    Patient Patient,
    IReadOnlyList<Slot> Slots,
    DateTimeOffset Start,
    DateTimeOffset End,
    DateTimeOffset Now,
    string? RescheduledAppointmentId,
    IFhirStore Fhir,
    int AlsoOpening = 0);

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
}

public sealed class MinimumLeadTimeRule(IOptions<BookingOptions> options) : IBookingRule
{
    public string Name => "minimum-lead-time";

    public ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lead = TimeSpan.FromMinutes(options.Value.MinimumLeadTimeMinutes);
        return ValueTask.FromResult(context.Start < context.Now + lead
            ? $"Bookings must start at least {options.Value.MinimumLeadTimeMinutes} minutes from now."
            : null);
    }
}

public sealed class MaximumDaysAheadRule(IOptions<BookingOptions> options) : IBookingRule
{
    public string Name => "maximum-days-ahead";

    public ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(context.Start > context.Now.AddDays(options.Value.MaximumDaysAhead)
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

        var open = ((await context.Fhir.SearchAsync(AppointmentSearches.OpenOfPatientCount(context.Patient.Id!, context.Now), cancellationToken)).Total ?? 0) + context.AlsoOpening;
        if (open >= limit)
        {
            // Expired holds are dead (StandingTime), swept or not: only when they could matter are they looked up.
            var holds = await context.Fhir.SearchAllAsync<Appointment>(AppointmentSearches.PendingHoldsOfPatient(context.Patient.Id!, context.Now), cancellationToken);
            open -= holds.Count(h => !StandingTime.Stands(h, context.Now));
        }

        return open >= limit ? $"A patient may have at most {limit} upcoming appointments." : null;
    }
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
public sealed class BookingRules(IEnumerable<IBookingRule> rules, IOptions<BookingOptions> options, TimeProvider time)
{
    /// <summary>
    /// The rules a change answers to: <paramref name="before"/> the appointment's status (null for a new one),
    /// <paramref name="after"/> its status once changed, <paramref name="moves"/> whether it takes other time.
    /// </summary>
    public static RuleScope ScopeOf(AppointmentStatus? before, AppointmentStatus after, bool moves) =>
        moves ? RuleScope.Move
        : AppointmentSearches.IsOpen(after) && !AppointmentSearches.IsOpen(before) ? RuleScope.NewlyOpen
        : RuleScope.None;

    /// <summary>The patient whose guard the change must claim (<see cref="SpanRequest.NewBookingForPatientId"/>): only where an appointment becomes open and a limit is set.</summary>
    public string? GuardedPatient(RuleScope scope, string? patientId) =>
        scope == RuleScope.NewlyOpen && options.Value.MaxOpenBookingsPerPatient > 0 ? patientId : null;

    /// <summary>The patient taking part in an appointment (the rules are theirs), if any.</summary>
    public static FhirReference? PatientOf(Appointment appointment) =>
        (appointment?.Participant ?? []).Select(p => FhirReference.From(p.Actor)).FirstOrDefault(r => r?.ResourceType == "Patient");

    /// <summary>
    /// The rules of one change, for <see cref="BookingChecks.CheckAsync"/> to run after authorization: null when its
    /// scope runs none. <paramref name="readPatient"/> is read first (null: no patient, no rule); the span is the slots'.
    /// </summary>
    public Func<Task>? Judging(
        RuleScope scope, Func<Task<Patient?>> readPatient, IReadOnlyList<Slot> slots, string? appointmentId, IFhirStore store, CancellationToken cancellationToken) =>
        Judging(scope, readPatient, slots, appointmentId, 0, store, cancellationToken);

    /// <summary>As <see cref="Judging(RuleScope, Func{Task{Patient}}, IReadOnlyList{Slot}, string, IFhirStore, CancellationToken)"/>, the change opening <paramref name="alsoOpening"/> more appointments for the patient.</summary>
    public Func<Task>? Judging(
        RuleScope scope, Func<Task<Patient?>> readPatient, IReadOnlyList<Slot> slots, string? appointmentId, int alsoOpening, IFhirStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readPatient);
        ArgumentNullException.ThrowIfNull(slots);
        if (scope == RuleScope.None)
        {
            return null;
        }

        return async () =>
        {
            if (await readPatient() is { } patient)
            {
                await CheckAsync(new BookingRuleContext(patient, slots, slots[0].Start!.Value, slots[^1].End!.Value, time.GetUtcNow(),
                    scope == RuleScope.Move ? appointmentId : null, store, alsoOpening), cancellationToken);
            }
        };
    }

    /// <summary>Runs every registered rule; the first refusal wins.</summary>
    public async Task CheckAsync(BookingRuleContext context, CancellationToken cancellationToken)
    {
        foreach (var rule in rules)
        {
            if (await rule.CheckAsync(context, cancellationToken) is { } refusal)
            {
                throw new SchedulingException(new ValidationError(refusal, Rule: rule.Name));
            }
        }
    }

}
