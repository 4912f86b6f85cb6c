using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;

namespace Scheduling.Schema.Locations;

public sealed class LocationType : ObjectGraphType<Location>
{
    public LocationType()
    {
        Name = "Location";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<StringGraphType>("name").Resolve(c => c.Source.Name);
        Field<StringGraphType>("description").Resolve(c => c.Source.Description);
        Field<AddressType>("address").Resolve(c => c.Source.Address);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ContactPointType>>>>("telecom").Resolve(c => c.Source.Telecom);
        Field<ConnectionGraphType<ScheduleType, Schedule>>("schedules")
            .ScheduleListArguments()
            .Resolve(c => ScheduleType.ForActor(c, FhirReference.For<Location>(c.Source.Id)));
    }
}

public static class LocationQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.AddById<LocationType, Location>("location");
    }
}
