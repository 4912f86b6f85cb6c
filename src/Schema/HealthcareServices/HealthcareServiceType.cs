using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Locations;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.HealthcareServices;

public sealed class HealthcareServiceType : ObjectGraphType<HealthcareService>
{
    public HealthcareServiceType()
    {
        Name = "HealthcareService";
        Description = "A service offered, e.g. physiotherapy (FHIR HealthcareService).";
        this.AddNodeIdentity();
        Field<StringGraphType>("name").Description("The service's name.").Resolve(c => c.Source.Name);
        Field<StringGraphType>("comment").Description("More about the service, for people.").Resolve(c => c.Source.Comment);
        Field<BooleanGraphType>("active").Description("Whether the service is in use.").Resolve(c => c.Source.Active);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("type").Description("The kinds of service offered.").Resolve(c => c.Source.Type);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<LocationType>>>>("locations").FhirElement("location")
            .Description("Where the service is offered.")
            .Resolve(c => c.ById().LoadMany(c.Source.Location.Select(FhirReference.From).OfType<FhirReference>())
                .Then(found => found.OfType<Location>().ToList()));
        Field<NonNullGraphType<ConnectionGraphType<ScheduleType, Schedule>>>("schedules").Description("The service's schedules.")
            .ResolveActorSchedules();
    }
}

public static class HealthcareServiceQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.AddById<HealthcareServiceType, HealthcareService>("healthcareService");
    }
}
