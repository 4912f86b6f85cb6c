using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>Searches of any resource type, by the parameters every type has.</summary>
public static class ResourceSearches
{
    /// <summary>Resources of one type with these ids.</summary>
    public static FhirQuery ByIds(string resourceType, IEnumerable<string> ids) => NarrowedToIds(new FhirQuery(resourceType), ids);

    /// <summary>A search narrowed to these ids.</summary>
    public static FhirQuery NarrowedToIds(FhirQuery query, IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.WhereAny("_id", ids);
    }

    /// <summary>Resources of one type changed at or after an instant, oldest first (a change feed's page).</summary>
    public static FhirQuery UpdatedSince(string resourceType, DateTimeOffset since) =>
        new FhirQuery(resourceType).WhereDate("_lastUpdated", "ge", since).SortBy([("_lastUpdated", false)]);
}
