using System.Net;
using System.Text;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// The rest-hook endpoint reads a notification's body with <c>FhirJson</c>, the gateway's one FHIR JSON parser: what
/// is not JSON or not a resource is refused (400), and a resource the server decorated with elements R4 does not
/// know (Medplum puts <c>meta.project</c>, <c>meta.author</c> on everything) is a notification like any other. The
/// strict parser it used before refused the second as "Not a FHIR resource".
/// </summary>
public sealed class RestHookBodyTests
{
    [Theory]
    [InlineData("{\"resourceType\":\"Appointment\",\"id\":", HttpStatusCode.BadRequest)]
    [InlineData("[1,2]", HttpStatusCode.BadRequest)]
    [InlineData("{\"resourceType\":\"Appointment\",\"id\":\"a1\",\"status\":\"booked\",\"meta\":{\"versionId\":\"1\",\"project\":\"p\",\"author\":{\"reference\":\"Practitioner/x\"}},\"participant\":[{\"status\":\"accepted\"}]}", HttpStatusCode.OK)]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"history\",\"entry\":[{\"resource\":{\"resourceType\":\"Slot\",\"id\":\"s1\",\"status\":\"free\",\"bogus\":1}}]}", HttpStatusCode.OK)]
    public async Task A_body_is_refused_only_when_it_is_not_a_resource(string body, HttpStatusCode expected)
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["ChangeFeed:PollSeconds"] = "0",
            ["ChangeFeed:RestHookSecret"] = "s3cret",
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/fhir/rest-hook")
        {
            Headers = { { "Authorization", "Bearer s3cret" } },
            Content = new StringContent(body, Encoding.UTF8, "application/fhir+json"),
        };

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }
}
