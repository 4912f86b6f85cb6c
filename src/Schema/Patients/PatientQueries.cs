using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Patients;

public static class PatientQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.AddById<PatientType, Patient>("patient");

        query.Field<ConnectionGraphType<PatientType, Patient>>("patients")
            .Description("The patients this caller may see, by name or identifier.")
            .Argument<StringGraphType>("name", a => a.Description = "Any part of the name starts with this (case and accents ignored).")
            .Argument<StringGraphType>("identifier", a => a.Description = "An identifier value, or system|value.")
            .PagingArguments()
            .ResolveAsync(async c =>
            {
                var query = PatientSearches.Matching(c.GetArgument<string?>("name"), c.GetArgument<string?>("identifier"));

                // Narrowed before it runs: FHIR finds, counts and pages only patients this caller may see.
                if (await c.Access().NarrowPatientsAsync(query, c.CancellationToken) is not { } narrowed)
                {
                    var (offset, first) = Paging.Read(c);
                    return Paging.Build<Patient>([], offset, first, 0);
                }

                return await RootList.SearchAsync<Patient>(c, narrowed);
            });
    }
}
