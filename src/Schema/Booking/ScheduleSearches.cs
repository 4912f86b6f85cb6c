using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>The Schedule searches of the booking core.</summary>
public static class ScheduleSearches
{
    /// <summary>The parameter by which an actor's schedules are batched (<c>Schedule?actor=Practitioner/1</c>).</summary>
    public const string ActorParameter = "actor";

    public static FhirQuery ByIds(IEnumerable<string> ids) => FhirQuery.For<Schedule>().WhereAny("_id", ids);

    /// <summary>Any one schedule: the cheapest search there is (the health check's probe).</summary>
    public static FhirQuery AnyOne() => FhirQuery.For<Schedule>().Count(1);

    /// <summary>The schedules list's filter, each condition when given: a service type (<c>code</c> or <c>system|code</c>), active or not.</summary>
    public static FhirQuery Filtered(string? serviceType, bool? active)
    {
        var query = FhirQuery.For<Schedule>();
        if (serviceType is not null)
        {
            query.WhereTokenText("service-type", serviceType);
        }

        if (active is { } isActive)
        {
            query.WhereRaw("active", isActive ? "true" : "false");
        }

        return query;
    }

    /// <summary>A schedule search narrowed to those with this actor.</summary>
    public static FhirQuery NarrowedToActor(FhirQuery schedules, FhirReference actor)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        return schedules.Where(ActorParameter, actor.ToString());
    }

    /// <summary>Schedules with any of these practitioners, this location and this service type (each when given).</summary>
    public static FhirQuery WithActors(IReadOnlyCollection<string> practitionerReferences, string? locationReference, string? serviceTypeText)
    {
        ArgumentNullException.ThrowIfNull(practitionerReferences);
        var query = FhirQuery.For<Schedule>();
        if (practitionerReferences.Count > 0)
        {
            query.WhereAny("actor", practitionerReferences);
        }

        if (locationReference is not null)
        {
            query.Where("actor", locationReference);
        }

        if (serviceTypeText is not null)
        {
            query.WhereTokenText("service-type", serviceTypeText);
        }

        return query;
    }
}
