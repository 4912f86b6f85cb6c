using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Locations;
using Scheduling.Schema.Schedules;

namespace Scheduling.Schema.HealthcareServices;

public sealed class HealthcareServiceType : ObjectGraphType<HealthcareService>
{
    public HealthcareServiceType()
    {
        Name = "HealthcareService";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<StringGraphType>("name").Resolve(c => c.Source.Name);
        Field<StringGraphType>("comment").Resolve(c => c.Source.Comment);
        Field<BooleanGraphType>("active").Resolve(c => c.Source.Active);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("type").Resolve(c => c.Source.Type);
        Field<ListGraphType<NonNullGraphType<LocationType>>>("locations")
            .Resolve(c => c.ById().LoadMany(c.Source.Location.Select(FhirReference.From).OfType<FhirReference>())
                .Then(found => found.OfType<Location>().ToList()));
        Field<ConnectionGraphType<ScheduleType, Schedule>>("schedules")
            .ScheduleListArguments()
            .Resolve(c => ScheduleType.ForActor(c, FhirReference.For<HealthcareService>(c.Source.Id)));
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
