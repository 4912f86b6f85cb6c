using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Schedules;

/// <summary>The arguments of every schedule list, root or nested, and the FHIR search they make.</summary>
public static class ScheduleFilters
{
    public static FieldBuilder<TSource, TReturn> ScheduleListArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) =>
        field
            .Argument<StringGraphType>("serviceType", a => a.Description = "A service type code, or system|code.")
            .Argument<BooleanGraphType>("active", a => a.Description = "Only active (true) or inactive (false) schedules.")
            .PagingArguments();

    public static FhirQuery ToQuery(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = FhirQuery.For<Schedule>();
        if (context.GetArgument<string?>("serviceType") is { } serviceType)
        {
            query.WhereTokenText("service-type", serviceType);
        }

        if (context.GetArgument<bool?>("active") is { } active)
        {
            query.WhereRaw("active", active ? "true" : "false");
        }

        return query;
    }
}
