using GraphQL.Types;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Common;

public enum SortDirection
{
    Asc,
    Desc,
}

public sealed class SortDirectionType : EnumerationGraphType<SortDirection>
{
    public SortDirectionType() => Name = "SortDirection";
}

/// <summary>A time range on a date search parameter; each bound maps to a FHIR prefix (gt, ge, lt, le).</summary>
public sealed record DateTimeFilter
{
    public DateTimeOffset? Gt { get; init; }

    public DateTimeOffset? Gte { get; init; }

    public DateTimeOffset? Lt { get; init; }

    public DateTimeOffset? Lte { get; init; }

    public void ApplyTo(FhirQuery query, string parameter)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (Gt is { } gt)
        {
            query.WhereDate(parameter, "gt", gt);
        }

        if (Gte is { } gte)
        {
            query.WhereDate(parameter, "ge", gte);
        }

        if (Lt is { } lt)
        {
            query.WhereDate(parameter, "lt", lt);
        }

        if (Lte is { } lte)
        {
            query.WhereDate(parameter, "le", lte);
        }
    }
}

public sealed class DateTimeFilterInputType : InputObjectGraphType<DateTimeFilter>
{
    public DateTimeFilterInputType()
    {
        Name = "DateTimeFilterInput";
        Description = "A time range; give any of the bounds.";
        Field<IsoDateTimeGraphType>("gt");
        Field<IsoDateTimeGraphType>("gte");
        Field<IsoDateTimeGraphType>("lt");
        Field<IsoDateTimeGraphType>("lte");
    }
}
