using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Slots;

/// <summary>Filters on slots; each maps to a FHIR search parameter of Slot.</summary>
public sealed record SlotFilter
{
    /// <summary><c>schedule=Schedule/a,Schedule/b</c></summary>
    public IEnumerable<string>? ScheduleIds { get; init; }

    /// <summary><c>status=free,busy</c></summary>
    public IEnumerable<Slot.SlotStatus>? Status { get; init; }

    /// <summary><c>start=ge...&amp;start=lt...</c></summary>
    public DateTimeFilter? Start { get; init; }

    /// <summary><c>service-type=code</c> or <c>system|code</c>.</summary>
    public string? ServiceType { get; init; }
}

public sealed record SlotSort
{
    public SortDirection? Start { get; init; }

    public SortDirection? Status { get; init; }
}

public sealed class SlotFilterInputType : InputObjectGraphType<SlotFilter>
{
    public SlotFilterInputType()
    {
        Name = "SlotFilterInput";
        Description = "Which slots; all the given conditions must hold.";
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("scheduleIds").Description("On any of these schedules.");
        Field<ListGraphType<NonNullGraphType<SlotStatusType>>>("status").Description("Any of these statuses.");
        Field<DateTimeFilterInputType>("start").Description("The slot's start.");
        Field<StringGraphType>("serviceType").Description("A service type code, or system|code.");
    }
}

public sealed class SlotSortInputType : InputObjectGraphType<SlotSort>
{
    public SlotSortInputType()
    {
        Name = "SlotSortInput";
        Description = "Exactly one sort key per entry (@oneOf); the list gives their priority.";
        IsOneOf = true;
        Field<SortDirectionType>("start").Description("By start time.");
        Field<SortDirectionType>("status").Description("By status.");
    }
}

public static class SlotFilters
{
    public static FieldBuilder<TSource, TReturn> SlotListArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) =>
        field
            .Argument<SlotFilterInputType>("where", a => a.Description = "Which slots (default: all).")
            .Argument<ListGraphType<NonNullGraphType<SlotSortInputType>>>("order", a => a.Description = "Default: start ascending.")
            .PagingArguments();

    public static FhirQuery ToQuery(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ToQuery(context.GetArgument<SlotFilter?>("where"), context.GetArgument<List<SlotSort>?>("order"));
    }

    /// <summary>The FHIR search for where/order (none given: the list's default, which the query planner primes).</summary>
    public static FhirQuery ToQuery(SlotFilter? where, IReadOnlyList<SlotSort>? order)
    {
        var query = SlotSearches.Filtered(where?.ScheduleIds?.ToList(), where?.Status?.ToList(), where?.Start, where?.ServiceType);
        return query.SortBy(SortKeys.From(order, ("start", false), ("start", o => o.Start), ("status", o => o.Status)));
    }
}
