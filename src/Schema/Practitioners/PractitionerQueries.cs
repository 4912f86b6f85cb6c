using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Practitioners;

public static class PractitionerQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.AddById<PractitionerType, Practitioner>("practitioner");

        query.Field<ConnectionGraphType<PractitionerType, Practitioner>>("practitioners")
            .Description("Practitioners, by name.")
            .Argument<StringGraphType>("name", a => a.Description = "Any part of the name starts with this (case and accents ignored).")
            .PagingArguments()
            .ResolveAsync(async c =>
            {
                var query = PractitionerSearches.Matching(c.GetArgument<string?>("name"));
                return await RootList.SearchAsync<Practitioner>(c, query);
            });
    }
}
