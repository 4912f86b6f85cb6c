using Hl7.Fhir.Model;
using Scheduling.Schema.Telemetry;

namespace Scheduling.Tests.Operations;

/// <summary>
/// The resource type a FHIR request's span and metrics are tagged with: for every R4 resource type and every URL shape
/// the gateway sends (read, versioned read, search, compartment search, next page), the type; for the server's base
/// and <c>metadata</c>, "unknown". An id is never a tag value, whatever its case (an id starting with a capital letter
/// was the tag before: one metric series per record).
/// </summary>
public sealed class FhirSpanResourceTypeTests
{
    public static TheoryData<string, string> Shapes() => new()
    {
        { "http://fhir.test/fhir/{0}/abc", "{0}" },
        { "http://fhir.test/fhir/{0}/ABC-1", "{0}" },
        { "http://fhir.test/fhir/{0}/Zed.9/_history/2", "{0}" },
        { "http://fhir.test/fhir/{0}?identifier=A%2FB&_count=50", "{0}" },
        { "http://fhir.test/R4/fhir/{0}?_id=Q1&_include={0}:x", "{0}" },
        { "http://fhir.test/fhir/Patient/P1/{0}?date=ge2026", "{0}" },
        { "http://fhir.test/fhir/{0}/_search", "{0}" },
        { "http://fhir.test/fhir/metadata", "unknown" },
        { "http://fhir.test/fhir/", "unknown" },
        { "http://fhir.test/Fhir/Base/", "unknown" },
        { "{0}/Q7", "{0}" },
        { "{0}?name=X", "{0}" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_resource_types_requests_are_tagged_with_the_type(string shape, string expected)
    {
        foreach (var type in ModelInfo.SupportedResources)
        {
            var url = new Uri(string.Format(System.Globalization.CultureInfo.InvariantCulture, shape, type), UriKind.RelativeOrAbsolute);
            Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, type), FhirTelemetryHandler.ResourceTypeOf(url));
        }
    }

    [Fact]
    public void No_url_is_unknown() => Assert.Equal("unknown", FhirTelemetryHandler.ResourceTypeOf(null));
}
