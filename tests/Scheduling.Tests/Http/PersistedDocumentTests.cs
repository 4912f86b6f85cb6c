using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Gateway.PersistedDocuments;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Tests.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Tests.Http;

/// <summary>Persisted operations: documents named by <c>sha256:</c> ids from a manifest, and the mode that serves nothing else.</summary>
public sealed class PersistedDocumentTests : IDisposable
{
    private const string Practitioners = "query Practitioners { practitioners(first: 2) { nodes { id displayName } } }";
    private const string Cancel = "mutation Cancel($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"x\" }) { errors { __typename } } }";

    private readonly string _directory = Directory.CreateTempSubdirectory("persisted-").FullName;

    private string Manifest(params string[] documents)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(documents.ToDictionary(PersistedDocumentStore.IdOf)));
        return path;
    }

    [Fact]
    public async Task A_document_is_run_by_its_sha256_id_over_POST_and_GET_and_an_unknown_id_is_an_error()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["GraphQL:PersistedDocuments:Path"] = Manifest(Practitioners, Cancel) });
        var id = PersistedDocumentStore.IdOf(Practitioners);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Practitioners))), id);

        var posted = await PostAsync(gateway, new { documentId = id });
        Assert.Equal(2, posted.At("data.practitioners.nodes")!.AsArray().Count);
        var got = JsonNode.Parse(await gateway.Client.GetStringAsync(new Uri("/graphql?documentId=" + Uri.EscapeDataString(id), UriKind.Relative)));
        Assert.Equal(posted.At("data")!.ToJsonString(), got.At("data")!.ToJsonString());

        var unknown = await PostAsync(gateway, new { documentId = "sha256:" + new string('0', 64) });
        Assert.Null(unknown["data"]);
        Assert.Equal("DOCUMENT_NOT_FOUND", unknown.At("errors.0.extensions.code")?.GetValue<string>());

        // A persisted mutation is still a mutation: never over GET.
        using var unsafeGet = await gateway.Client.GetAsync(new Uri("/graphql?documentId=" + Uri.EscapeDataString(PersistedDocumentStore.IdOf(Cancel)) + "&variables=" + Uri.EscapeDataString("{\"id\":\"a\"}"), UriKind.Relative));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, unsafeGet.StatusCode);

        // Sent documents are still served while persisted-only is off.
        Assert.Null((await gateway.QueryAsync("{ practitioners(first: 1) { nodes { id } } }"))["errors"]);
    }

    [Fact]
    public async Task With_persisted_only_a_sent_document_is_refused_and_a_persisted_one_runs()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["GraphQL:PersistedDocuments:Path"] = Manifest(Practitioners),
            ["GraphQL:PersistedDocuments:Only"] = "true",
        });
        var sent = await gateway.QueryAsync(Practitioners);
        Assert.Null(sent["data"]);
        Assert.Equal("DOCUMENT_ID_MISSING", sent.At("errors.0.extensions.code")?.GetValue<string>());
        Assert.Equal(2, (await PostAsync(gateway, new { documentId = PersistedDocumentStore.IdOf(Practitioners) })).At("data.practitioners.nodes")!.AsArray().Count);
        // Having run by its id (its document now kept as validated), its text sent as text is still refused, alike.
        Assert.Equal(sent.ToJsonString(), (await gateway.QueryAsync(Practitioners)).ToJsonString());
    }

    [Fact]
    public async Task A_manifest_whose_id_is_not_the_hash_of_its_text_stops_start_up()
    {
        var path = Path.Combine(_directory, "tampered.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, string> { [PersistedDocumentStore.IdOf(Practitioners)] = "{ patients { nodes { id } } }" }));
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(new Dictionary<string, string?> { ["GraphQL:PersistedDocuments:Path"] = path }));
        Assert.Contains("is not the SHA-256 of its text", refused.Message, StringComparison.Ordinal);
        var onlyWithout = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(new Dictionary<string, string?> { ["GraphQL:PersistedDocuments:Only"] = "true" }));
        Assert.Contains("GraphQL:PersistedDocuments:Path", onlyWithout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_persisted_subscription_runs_by_its_id_over_the_WebSocket()
    {
        const string Changes = "subscription Changes($p: ID!) { appointmentChanged(practitionerId: $p) { kind appointment { fhirId } } }";
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["GraphQL:PersistedDocuments:Path"] = Manifest(Changes),
            ["GraphQL:PersistedDocuments:Only"] = "true",
        });
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var before = gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(gateway.BaseAddress, null, new { p = world.Practitioner.Id },
            documentId: PersistedDocumentStore.IdOf(Changes));
        Assert.True(client.First.GetProperty("event").GetString() == "connected", client.First.GetRawText());
        await gateway.UntilSubscribedAsync(before);

        var booked = await PostAsync(gateway, new
        {
            documentId = (string?)null,
            query = "mutation($s: ID!, $p: ID!) { bookAppointment(input: { slotIds: [$s], patientId: $p }) { appointment { id } } }",
            variables = new { s = world.SlotId(0), p = world.Patient.Id },
        });
        // Persisted-only: the sent mutation is refused, so book in FHIR directly through the gateway's own services.
        Assert.Equal("DOCUMENT_ID_MISSING", booked.At("errors.0.extensions.code")?.GetValue<string>());
        using var scope = gateway.Services.CreateScope();
        scope.ServiceProvider.GetRequiredService<SchedulingAccess>().Caller = SchedulingCaller.System;
        var id = (await scope.ServiceProvider.GetRequiredService<BookHandler>().BookAsync(
            new BookAppointmentInput { SlotIds = [world.SlotId(0)], PatientId = world.Patient.Id! }, CancellationToken.None)).Id;

        var events = await client.CollectAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(id, events.Single().GetProperty("appointmentChanged").GetProperty("appointment").GetProperty("fhirId").GetString());
    }

    private static async Task<JsonObject> PostAsync(GatewayServer gateway, object body)
    {
        using var response = await gateway.Client.PostAsJsonAsync(new Uri("/graphql", UriKind.Relative), body);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
