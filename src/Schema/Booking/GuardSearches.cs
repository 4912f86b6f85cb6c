using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>The span guards' search (<see cref="SpanGuards"/>).</summary>
public static class SpanGuardSearches
{
    /// <summary>The guards with these keys (keys hold no comma, bar or dollar).</summary>
    public static FhirQuery ByKeys(IEnumerable<string> keys) =>
        FhirQuery.For<Basic>().WhereRaw("identifier", string.Join(',', keys.Select(k => GatewayProfile.GuardSystem + "|" + FhirQuery.Escape(k))));
}

/// <summary>The searches of change intents and of what a change wrote (<see cref="ChangeIntent"/>).</summary>
public static class ChangeIntentSearches
{
    /// <summary>Every intent record.</summary>
    public static FhirQuery All() => FhirQuery.For<Basic>().WhereToken("code", GatewayProfile.TagSystem, GatewayProfile.IntentCode);

    /// <summary>The resources of one type this change wrote last (its meta.tag).</summary>
    public static FhirQuery TaggedBy(string resourceType, string changeId) =>
        new FhirQuery(resourceType).WhereToken("_tag", GatewayProfile.ChangeTagSystem, changeId);
}
