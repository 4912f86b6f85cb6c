using System.ComponentModel.DataAnnotations;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

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

/// <summary>What a booking rule sees: who books what, when.</summary>
public sealed record BookingRuleContext(
    Patient Patient,
    IReadOnlyList<Slot> Slots,
    DateTimeOffset Start,
    DateTimeOffset End,
    DateTimeOffset Now,
    string? RescheduledAppointmentId,
    IFhirStore Fhir);

/// <summary>
/// A rule run before every booking, hold and reschedule (what Medplum does with Bots). Register more with
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

        var open = (await context.Fhir.SearchAsync(AppointmentSearches.OpenOfPatientCount(context.Patient.Id!, context.Now), cancellationToken)).Total ?? 0;
        if (open >= limit)
        {
            // Expired holds are dead (StandingTime), swept or not: only when they could matter are they looked up.
            var holds = await context.Fhir.SearchAllAsync<Appointment>(AppointmentSearches.PendingHoldsOfPatient(context.Patient.Id!, context.Now), cancellationToken);
            open -= holds.Count(h => !StandingTime.Stands(h, context.Now));
        }

        return open >= limit ? $"A patient may have at most {limit} upcoming appointments." : null;
    }
}

/// <summary>Runs every registered rule; the first refusal wins.</summary>
public sealed class BookingRules(IEnumerable<IBookingRule> rules)
{
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
