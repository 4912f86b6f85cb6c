using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Tests.Fhir;
using Scheduling.Testing;

namespace Scheduling.Tests.Queries;

/// <summary>A fault upstream degrades the fields that needed it, never the whole response or the server.</summary>
[Collection(MedplumCollection.Name)]
public sealed class UpstreamFailureTests(MedplumFixture medplumFixture)
{
    private readonly MedplumServer medplum = medplumFixture.Server;

    [Fact]
    public async Task A_5xx_on_one_resource_type_nulls_only_the_fields_that_needed_it()
    {
        await using var services = FhirStores.Rest(medplum.FhirBaseUrl);
        var seed = await MedplumPracticeSeed.CreateAsync(services.GetRequiredService<IFhirStore>(), 3);
        // The fault hits one type's own requests, which are the DataLoaders': a planned search would bring the patient
        // inside the appointment's search (whose failure fails the root field, as an unplanned one does).
        await using var gateway = await GatewayServer.StartAsync(medplumFixture.Settings(("Fhir:Includes", "Off")));

        await medplum.FaultAsync(503, match: "Patient");
        try
        {
            using var http = await gateway.PostAsync(
                "query($id: ID!) { appointment(id: $id) { id status patient { displayName } practitioners { displayName } } }",
                new { id = seed.Appointments[0].Id });
            var response = System.Text.Json.Nodes.JsonNode.Parse(await http.Content.ReadAsStringAsync())!;

            Assert.Equal(HttpStatusCode.OK, http.StatusCode);
            var error = Assert.Single(response["errors"]!.AsArray())!;
            Assert.Equal("FHIR_UNAVAILABLE", error.At("extensions.code")!.GetValue<string>());
            Assert.Null(error.At("extensions.codes"));
            Assert.Equal(["appointment", "patient"], error["path"]!.AsArray().Select(p => p!.GetValue<string>()));
            Assert.Null(response.At("data.appointment.patient"));
            Assert.Equal("BOOKED", response.At("data.appointment.status")!.GetValue<string>());
            Assert.Equal(2, response.At("data.appointment.practitioners")!.AsArray().Count);
        }
        finally
        {
            await medplum.FaultAsync(0);
        }

        // The same gateway answers in full once the upstream recovers.
        var recovered = await gateway.QueryAsync("query($id: ID!) { appointment(id: $id) { patient { displayName } } }", new { id = seed.Appointments[0].Id });
        Assert.Null(recovered["errors"]);
        Assert.NotNull(recovered.At("data.appointment.patient.displayName"));
    }

    [Fact]
    public async Task A_FHIR_server_that_is_down_gives_field_errors_and_the_rest_of_the_response()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = $"http://127.0.0.1:{ClosedPort()}/fhir",
            ["Fhir:RetryCount"] = "0",
        });

        var response = await gateway.QueryAsync("""{ schedule(id: "x") { id } practitioners { totalCount } __typename }""");

        Assert.Equal("Query", response.At("data.__typename")!.GetValue<string>());
        Assert.Null(response.At("data.schedule"));
        Assert.Null(response.At("data.practitioners"));
        var errors = response["errors"]!.AsArray();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal("FHIR_UNAVAILABLE", e.At("extensions.code")!.GetValue<string>()));
        Assert.All(errors, e => Assert.DoesNotContain("127.0.0.1", e!["message"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
