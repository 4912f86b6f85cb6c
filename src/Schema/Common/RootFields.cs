using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Schema.Planning;

namespace Scheduling.Schema.Common;

public static class RootFields
{
    /// <summary><c>name(id: ID!)</c>: one resource by FHIR id through the batched loader; unknown or malformed ids give null.</summary>
    public static void AddById<TGraphType, TResource>(this ObjectGraphType query, string name)
        where TGraphType : IGraphType
        where TResource : Resource
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Field<TGraphType>(name)
            .Description($"The {GraphTypeNames.Of<TGraphType>()} with this id; null when there is none.")
            .Argument<NonNullGraphType<IdGraphType>>("id", a =>
            {
                a.Description = "Its global id (a FHIR reference or FHIR id is accepted for a transition period).";
                a.WithMetadata(IdArguments.IdOf, FhirTypeName<TResource>.Value);
            })
            .ResolveAsync(async c =>
            {
                var id = c.GetArgument<string>("id");
                var type = FhirTypeName<TResource>.Value;
                if (FhirReference.IsValidId(id) && c.Planner() is { } planner)
                {
                    // Its lists of what points at it depend only on the id: asked now, with the read below.
                    planner.PrefetchChildLists(c, type, id, plannedRoot: true);
                    if (await planner.SearchAsync(c, type, ResourceSearches.ByIds(type, [id]), matchesAreLoads: true) is { } planned)
                    {
                        return planned.Resources.OfType<TResource>().FirstOrDefault();
                    }
                }

                return await c.ById().Load<TResource>(id).GetResultAsync(c.CancellationToken);
            });
    }
}
