using System.Globalization;
using GraphQL.Types;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Schedules;

public sealed class AvailabilityRuleType : ObjectGraphType<AvailabilityRule>
{
    public AvailabilityRuleType()
    {
        Name = "AvailabilityRule";
        Description = "A schedule's recurring availability (set with setAvailability).";
        Field<NonNullGraphType<StringGraphType>>("timeZone").Description("The IANA time zone the times are in, e.g. America/New_York.").Resolve(c => c.Source.TimeZone);
        Field<NonNullGraphType<IntGraphType>>("slotMinutes").Description("How long one slot is.").Resolve(c => c.Source.SlotMinutes);
        Field<NonNullGraphType<IntGraphType>>("bufferBeforeMinutes").Description("Free minutes kept before each booking.").Resolve(c => c.Source.BufferBeforeMinutes);
        Field<NonNullGraphType<IntGraphType>>("bufferAfterMinutes").Description("Free minutes kept after each booking.").Resolve(c => c.Source.BufferAfterMinutes);
        Field<NonNullGraphType<IntGraphType>>("capacity").Description("Seats of each offered time; 1 unless set (a group visit).").Resolve(c => c.Source.Capacity);
        Field<NonNullGraphType<IntGraphType>>("alignmentMinutes").Description("Offered times start every this many minutes from the opening time.").Resolve(c => c.Source.AlignmentMinutes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AvailableTimeType>>>>("availableTimes").Description("The weekly times the schedule is open.").Resolve(c => c.Source.AvailableTimes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<NotAvailableTimeType>>>>("notAvailable").Description("Exceptions: spans the schedule is closed, e.g. holidays.").Resolve(c => c.Source.NotAvailableTimes);
    }
}

public sealed class AvailableTimeType : ObjectGraphType<AvailableTime>
{
    public AvailableTimeType()
    {
        Name = "AvailableTime";
        Description = "Weekly opening times on some days of the week.";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DayOfWeekType>>>>("daysOfWeek").Description("The days these times apply to.").Resolve(c => c.Source.DaysOfWeek);
        Field<NonNullGraphType<StringGraphType>>("startTime").Description("Opening time, HH:mm in the rule's time zone.").Resolve(c => c.Source.StartTime.ToString("HH:mm", CultureInfo.InvariantCulture));
        Field<NonNullGraphType<StringGraphType>>("endTime").Description("Closing time, HH:mm in the rule's time zone.").Resolve(c => c.Source.EndTime.ToString("HH:mm", CultureInfo.InvariantCulture));
    }
}

public sealed class NotAvailableTimeType : ObjectGraphType<NotAvailableTime>
{
    public NotAvailableTimeType()
    {
        Name = "NotAvailableTime";
        Description = "A span when the schedule is closed despite its weekly times.";
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("When the closure starts.").Resolve(c => c.Source.Start);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("When the closure ends.").Resolve(c => c.Source.End);
        Field<StringGraphType>("description").Description("Why, for people.").Resolve(c => c.Source.Description);
    }
}
