using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>The Patient searches.</summary>
public static class PatientSearches
{
    /// <summary>Patients, each condition when given: any part of a name starts with <paramref name="name"/>; an identifier a caller wrote as <c>value</c> or <c>system|value</c>.</summary>
    public static FhirQuery Matching(string? name, string? identifier)
    {
        var query = FhirQuery.For<Patient>();
        if (name is not null)
        {
            query.Where("name", name);
        }

        if (identifier is not null)
        {
            query.WhereTokenText("identifier", identifier);
        }

        return query;
    }
}

/// <summary>The Practitioner searches.</summary>
public static class PractitionerSearches
{
    /// <summary>Practitioners; when given, any part of whose name starts with <paramref name="name"/>.</summary>
    public static FhirQuery Matching(string? name)
    {
        var query = FhirQuery.For<Practitioner>();
        return name is null ? query : query.Where("name", name);
    }
}
