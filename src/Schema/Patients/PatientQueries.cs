using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
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
            .Argument<StringGraphType>("name", a => a.Description = "Any part of the name starts with this (case and accents ignored).")
            .Argument<StringGraphType>("identifier", a => a.Description = "An identifier value, or system|value.")
            .PagingArguments()
            .ResolveAsync(async c =>
            {
                var query = FhirQuery.For<Patient>();
                if (c.GetArgument<string?>("name") is { } name)
                {
                    query.Where("name", name);
                }

                if (c.GetArgument<string?>("identifier") is { } identifier)
                {
                    query.WhereTokenText("identifier", identifier);
                }

                // A patient finds only themselves; a practitioner's results are checked one by one (AccessFieldMiddleware).
                if (c.Access().Caller.Patient is { } self)
                {
                    query.Where("_id", self.Id);
                }

                return await RootList.SearchAsync<Patient>(c, query);
            });
    }
}
