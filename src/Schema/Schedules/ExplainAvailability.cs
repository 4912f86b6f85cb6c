using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Execution;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Schedules;

/// <summary>What explainAvailability is asked: one schedule (or a practitioner's schedules), a span of at most <see cref="AvailabilitySearch.MaxExplainDays"/> days, a length.</summary>
public sealed record ExplainAvailabilityInput
{
    public string? ScheduleId { get; init; }

    public string? PractitionerId { get; init; }

    public DateTimeOffset Start { get; init; }

    public DateTimeOffset End { get; init; }

    public int? DurationMinutes { get; init; }
}

/// <summary>
/// explainAvailability: every candidate time of a span with every reason it is not offered (<see cref="AvailabilitySearch.ExplainAsync"/>,
/// the computation availability filters). Bad input is a GraphQL error with code BAD_USER_INPUT, as availability's.
/// </summary>
public static class ExplainAvailability
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<ExplainedTimeType>>>>("explainAvailability")
            .Description($"Why is this time not offered? Every candidate time of a span (at most {AvailabilitySearch.MaxExplainDays} days; a longer one is a BAD_USER_INPUT error) on a schedule or a practitioner's schedules, offered or not, with every reason it is not. availability offers exactly the candidates with no reason.")
            .Argument<NonNullGraphType<ExplainAvailabilityInputType>>("input", a => a.Description = "Which schedule, when and how long.")
            .WithMetadata(OperationSize.SearchesMetadata, (Func<FieldArguments, long>)(_ => SearchesFor))
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<ExplainAvailabilityInput>("input");
                if ((input.ScheduleId is null) == (input.PractitionerId is null))
                {
                    throw new UserInputError("Give exactly one of 'scheduleId' and 'practitionerId'.");
                }

                return await c.RequestServices!.GetRequiredService<AvailabilitySearch>().ExplainAsync(new AvailabilityInput
                {
                    ScheduleIds = input.ScheduleId is { } schedule ? [schedule] : null,
                    PractitionerIds = input.PractitionerId is { } practitioner ? [practitioner] : null,
                    Start = input.Start,
                    End = input.End,
                    DurationMinutes = input.DurationMinutes,
                }, c.CancellationToken);
            });
    }

    /// <summary>Priced as availability for one week of one schedule or practitioner, plus the caps' count: schedules, slots, appointments, counted.</summary>
    public const long SearchesFor = 4;
}

public sealed class ExplainAvailabilityInputType : InputObjectGraphType<ExplainAvailabilityInput>
{
    public ExplainAvailabilityInputType()
    {
        Name = "ExplainAvailabilityInput";
        Description = "One schedule (or one practitioner's schedules), a span and a length to explain.";
        Field<IdGraphType>("scheduleId").Description("This schedule (or give practitionerId).");
        Field<IdGraphType>("practitionerId").Description("This practitioner's schedules (or give scheduleId).");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("From (never earlier than now).");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description($"To; at most {AvailabilitySearch.MaxExplainDays} days after start.");
        Field<IntGraphType>("durationMinutes").Description("Default: one slot (or the rule's slot length), as availability.");
    }
}

public sealed class UnofferedReasonType : EnumerationGraphType
{
    public UnofferedReasonType()
    {
        Name = "UnofferedReason";
        Description = "Why a candidate time is not offered; each is the check bookAppointment refuses the time by (named in each value's description).";
        foreach (var reason in UnofferedReasons.All)
        {
            Add(System.Text.RegularExpressions.Regex.Replace(reason.ToString(), "(?<=[a-z])(?=[A-Z])", "_").ToUpperInvariant(), reason);
        }

        this.DescribeValues(
            ("OUTSIDE_HOURS", "No available window of the schedule's rule holds it (over free slots: no run of contiguous slots is long enough). Booking: SlotUnavailableError (not offered by the schedule's availability)."),
            ("BUFFER", "Only the rule's buffers before or after it touch busy time. Booking refuses it: BookingRuleError, rule 'buffer'."),
            ("BLOCKED", "Blocked time: the rule's not-available time, or a BUSY_UNAVAILABLE slot. Booking: SlotUnavailableError."),
            ("HELD", "A standing hold (or a BUSY_TENTATIVE slot) takes it. Booking: SlotUnavailableError."),
            ("BOOKED", "An appointment of an actor of the schedule (on any schedule), or a BUSY slot, takes it; takenBy lists the appointments the caller may see. Booking: SlotUnavailableError."),
            ("CAPACITY_FULL", "A slot with seats over it has none left. Booking: SlotUnavailableError (no seat is left)."),
            ("OUTSIDE_HORIZON", "Not wholly inside the schedule's planning horizon. Booking: ValidationError rule planning-horizon."),
            ("TOO_FAR_AHEAD", "Further ahead than bookings may be made. Booking: BookingRuleError rule maximum-days-ahead."),
            ("LEAD_TIME", "Sooner than bookings may start. Booking: BookingRuleError rule minimum-lead-time."),
            ("DAY_CAP", "A practitioner of the schedule has the day's cap of bookings. Booking: BookingRuleError rule practitioner-day-cap."),
            ("WEEK_CAP", "A practitioner of the schedule has the week's cap of bookings. Booking: BookingRuleError rule practitioner-week-cap."),
            ("INACTIVE_SCHEDULE", "The schedule is not active. Booking: ValidationError rule active-schedule."));
    }
}

public sealed class ExplainedTimeType : ObjectGraphType<ExplainedTime>
{
    public ExplainedTimeType()
    {
        Name = "ExplainedTime";
        Description = "A candidate time on one schedule: whether availability offers it and, if not, every reason.";
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("When it starts.").Resolve(c => c.Source.Option.Start);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("When it ends.").Resolve(c => c.Source.Option.End);
        Field<NonNullGraphType<ScheduleType>>("schedule").Description("The schedule it is on.").Resolve(c => c.Source.Option.Schedule);
        Field<NonNullGraphType<BooleanGraphType>>("offered").Description("Whether availability offers it (no reason against it).").Resolve(c => c.Source.Offered);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<UnofferedReasonType>>>>("reasons")
            .Description("Every reason it is not offered; empty when it is.")
            .Resolve(c => UnofferedReasons.Each(c.Source.Reasons).ToList());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AppointmentType>>>>("takenBy")
            .Description("The appointments that make it BOOKED or HELD, only those the caller may see (a patient sees their own; others' are left out, the reason stays).")
            .Resolve(c => SchedulingAccess.Of(c) is { } access ? c.Source.TakenBy.Where(access.CanSee).ToList() : []);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds")
            .Description("The slots it would take (a rule time's option slot id).")
            .Resolve(c => c.Source.Option.SlotIds.Select(GlobalId.EncodeSlot));
    }
}
