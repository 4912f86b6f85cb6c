using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Locations;

public sealed class LocationType : ObjectGraphType<Location>
{
    public LocationType()
    {
        Name = "Location";
        Description = "A place where care is given: a clinic, a room, ... (FHIR Location).";
        this.AddNodeIdentity();
        Field<StringGraphType>("name").Description("The location's name.").Resolve(c => c.Source.Name);
        Field<StringGraphType>("description").Description("More about the location, for people.").Resolve(c => c.Source.Description);
        Field<AddressType>("address").Description("Where it is.").Resolve(c => c.Source.Address);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ContactPointType>>>>("telecom").Description("How to reach the location.").Resolve(c => c.Source.Telecom);
        Field<NonNullGraphType<ConnectionGraphType<ScheduleType, Schedule>>>("schedules").Description("The location's schedules (rooms, equipment).")
            .ResolveActorSchedules();
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
