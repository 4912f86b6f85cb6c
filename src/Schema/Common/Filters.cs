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
    public SortDirectionType()
    {
        Name = "SortDirection";
        Description = "Which way to sort.";
        this.DescribeValues(
            ("ASC", "Ascending: earliest or lowest first."),
            ("DESC", "Descending: latest or highest first."));
    }
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
        Field<IsoDateTimeGraphType>("gt").Description("After this instant.");
        Field<IsoDateTimeGraphType>("gte").Description("At or after this instant.");
        Field<IsoDateTimeGraphType>("lt").Description("Before this instant.");
        Field<IsoDateTimeGraphType>("lte").Description("At or before this instant.");
    }
}

public static class SortKeys
{
    /// <summary>
    /// FHIR <c>_sort</c> keys from an <c>order</c> list, where each entry sets one field; the first that is set
    /// in an entry wins. <paramref name="fallback"/> applies when the list sets none.
    /// </summary>
    public static IReadOnlyList<(string Parameter, bool Descending)> From<T>(
        IEnumerable<T>? order, (string Parameter, bool Descending) fallback, params (string Parameter, Func<T, SortDirection?> Direction)[] fields)
    {
        var keys = (order ?? [])
            .SelectMany(entry => fields.Select(f => (f.Parameter, Direction: f.Direction(entry))))
            .Where(k => k.Direction is not null)
            .Select(k => (k.Parameter, k.Direction == SortDirection.Desc))
            .ToList();
        return keys.Count > 0 ? keys : [fallback];
    }
}
