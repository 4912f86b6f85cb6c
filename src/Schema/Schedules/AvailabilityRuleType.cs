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
        Field<NonNullGraphType<StringGraphType>>("timeZone").Resolve(c => c.Source.TimeZone);
        Field<NonNullGraphType<IntGraphType>>("slotMinutes").Resolve(c => c.Source.SlotMinutes);
        Field<NonNullGraphType<IntGraphType>>("bufferBeforeMinutes").Resolve(c => c.Source.BufferBeforeMinutes);
        Field<NonNullGraphType<IntGraphType>>("bufferAfterMinutes").Resolve(c => c.Source.BufferAfterMinutes);
        Field<NonNullGraphType<IntGraphType>>("alignmentMinutes").Resolve(c => c.Source.AlignmentMinutes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AvailableTimeType>>>>("availableTimes").Resolve(c => c.Source.AvailableTimes);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<NotAvailableTimeType>>>>("notAvailable").Resolve(c => c.Source.NotAvailableTimes);
    }
}

public sealed class AvailableTimeType : ObjectGraphType<AvailableTime>
{
    public AvailableTimeType()
    {
        Name = "AvailableTime";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DayOfWeekType>>>>("daysOfWeek").Resolve(c => c.Source.DaysOfWeek);
        Field<NonNullGraphType<StringGraphType>>("startTime").Resolve(c => c.Source.StartTime.ToString("HH:mm", CultureInfo.InvariantCulture));
        Field<NonNullGraphType<StringGraphType>>("endTime").Resolve(c => c.Source.EndTime.ToString("HH:mm", CultureInfo.InvariantCulture));
    }
}

public sealed class NotAvailableTimeType : ObjectGraphType<NotAvailableTime>
{
    public NotAvailableTimeType()
    {
        Name = "NotAvailableTime";
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Resolve(c => c.Source.Start);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Resolve(c => c.Source.End);
        Field<StringGraphType>("description").Resolve(c => c.Source.Description);
    }
}
