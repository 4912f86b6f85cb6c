using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
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

    /// <summary>Resolves an actor's schedules (<c>Schedule?actor=Practitioner/1</c>), batched, as a connection.</summary>
    public static FieldBuilder<TActor, object> ResolveActorSchedules<TActor>(this FieldBuilder<TActor, object> field)
        where TActor : Resource =>
        field.ScheduleListArguments().ResolveReverseList<TActor, Schedule>(ScheduleSearches.ActorParameter, ToQuery);

    public static FhirQuery ToQuery(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ScheduleSearches.Filtered(context.GetArgument<string?>("serviceType"), context.GetArgument<bool?>("active"));
    }
}
