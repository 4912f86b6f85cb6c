using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// <see cref="FhirJson"/> parses without Firely's attribute validation: everything a default <see cref="FhirClient"/>
/// made of an upstream body (a valid one, and each kind of broken one: unknown elements, codes, dates and ids that do
/// not parse, missing required elements, wrong JSON types) it makes the same, and what the client refused (not JSON)
/// it refuses. The gateway's own checks (cardinality, typed values) then see exactly what they saw before.
/// </summary>
public sealed class FhirJsonTests
{
    private static string Slot(string extra = "", string start = "2026-01-01T09:00:00Z", string status = "free") =>
        "{\"resourceType\":\"Slot\",\"id\":\"s1\",\"meta\":{\"versionId\":\"1\"},\"schedule\":{\"reference\":\"Schedule/x\"},\"status\":\"" + status +
        "\",\"start\":\"" + start + "\",\"end\":\"2026-01-01T09:30:00Z\"" + extra + "}";

    public static TheoryData<string, string> Bodies() => new()
    {
        { "valid", Slot() },
        { "unknown element", Slot(",\"bogus\":1") },
        { "unknown element in a contained resource", Slot(",\"contained\":[{\"resourceType\":\"Patient\",\"id\":\"p\",\"bogus\":2}]") },
        { "code outside its value set", Slot(status: "nonsense") },
        { "date that is not one", Slot(start: "yesterday") },
        { "instant without a zone", Slot(start: "2026-01-01T09:00:00") },
        { "required element missing", "{\"resourceType\":\"Slot\",\"id\":\"s1\",\"schedule\":{\"reference\":\"Schedule/x\"},\"status\":\"free\",\"end\":\"2026-01-01T09:30:00Z\"}" },
        { "id with spaces", Slot().Replace("\"s1\"", "\"s 1!\"", StringComparison.Ordinal) },
        { "primitive for an object", Slot().Replace("{\"reference\":\"Schedule/x\"}", "\"Schedule/x\"", StringComparison.Ordinal) },
        { "string for a boolean", Slot(",\"overbooked\":\"yes\"") },
        { "empty string", Slot(",\"comment\":\"\"") },
        { "null value", Slot(",\"comment\":null") },
        { "extension without url", Slot(",\"extension\":[{\"valueString\":\"a\"}]") },
        { "bad value in a primitive's extension", Slot(",\"_start\":{\"extension\":[{\"url\":\"x\",\"valueBoolean\":\"no\"}]}") },
        { "unknown resource type", "{\"resourceType\":\"Nope\",\"id\":\"x\"}" },
        { "a Bundle with an appointment", "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{\"resource\":{\"resourceType\":\"Appointment\",\"id\":\"a\",\"status\":\"booked\",\"bogus\":true,\"participant\":[{\"actor\":{\"reference\":\"Patient/p\"},\"status\":\"accepted\"}]},\"search\":{\"mode\":\"match\"}}]}" },
        { "not JSON", "{\"resourceType\":\"Slot\",\"id\":" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async System.Threading.Tasks.Task Parses_each_body_as_a_default_FhirClient_did(string kind, string body)
    {
        var before = await ParsedByDefaultClientAsync(body, engine: null);
        var now = await ParsedByDefaultClientAsync(body, FhirJson.Engine);

        Assert.True(before == now, $"{kind}: the default client made {before}, FhirJson made {now}");
        if (before.StartsWith("OK", StringComparison.Ordinal))
        {
            Assert.Equal(before, "OK " + FhirJson.Serialize(FhirJson.Parse(body)));
        }
        else
        {
            Assert.ThrowsAny<Exception>(() => FhirJson.Parse(body));
        }
    }

    /// <summary>The body read through a <see cref="FhirClient"/>, as its JSON, or the type of what it threw.</summary>
    private static async Task<string> ParsedByDefaultClientAsync(string body, IFhirSerializationEngine? engine)
    {
        using var http = new HttpClient(new Canned(body));
        using var client = new FhirClient(new Uri("http://fhir.test/fhir/"), http, new FhirClientSettings
        {
            PreferredFormat = ResourceFormat.Json,
            VerifyFhirVersion = false,
            SerializationEngine = engine,
        });
        try
        {
            var resource = await client.ReadAsync<Resource>(new Uri("http://fhir.test/fhir/Slot/s1"));
            return "OK " + (resource is null ? "null" : new FhirJsonSerializer().SerializeToString(resource));
        }
        catch (Exception e) when (e is FhirOperationException or DeserializationFailedException or FormatException)
        {
            return "refused " + e.GetType().Name;
        }
    }

    private sealed class Canned(string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            System.Threading.Tasks.Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/fhir+json"),
                RequestMessage = request,
            });
    }
}
