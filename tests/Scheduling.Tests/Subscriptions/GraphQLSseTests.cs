using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// GraphQL over SSE (the graphql-sse protocol, distinct connections mode) with the reference graphql-sse npm client
/// against the live gateway (embedded store): subscriptions, queries and mutations; keep-alive comments on the wire.
/// </summary>
public sealed class GraphQLSseTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { __typename } } }
        """;

    private GatewayServer Gateway => fixture.Gateway;

    [Fact]
    public async Task A_subscription_receives_a_booking_with_nested_fields_as_next_events()
    {
        var world = await BookingWorld.CreateAsync(Gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var before = Gateway.Subscribers();
        await using var client = await GraphQLSseClient.SubscribeAsync(Gateway.BaseAddress, """
            subscription($practitioner: ID!) {
              appointmentChanged(practitionerId: $practitioner) { kind appointmentId appointment { patient { displayName } slots { status } } }
            }
            """, new { practitioner = world.Practitioner.Id });
        await Gateway.UntilSubscribedAsync(before);

        var booked = await Gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var id = booked.At("data.bookAppointment.appointment.fhirId")!.GetValue<string>();

        var line = await client.NextAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("next", line?.GetProperty("event").GetString());
        var change = line!.Value.GetProperty("data").GetProperty("data").GetProperty("appointmentChanged");
        Assert.Equal(("CREATED", GlobalId.Encode("Appointment", id)), (change.GetProperty("kind").GetString(), change.GetProperty("appointmentId").GetString()));
        Assert.Equal(world.Patient.Name[0].Given.First() + " " + world.Patient.Name[0].Family, change.GetProperty("appointment").GetProperty("patient").GetProperty("displayName").GetString());
        Assert.Equal("BUSY", change.GetProperty("appointment").GetProperty("slots")[0].GetProperty("status").GetString());

        // The client ends a subscription by closing its stream: the gateway lets go of it.
        await client.DisposeAsync();
        await Gateway.UntilUnsubscribedAsync(before);
    }

    [Fact]
    public async Task Queries_mutations_and_refusals_come_as_one_next_then_complete()
    {
        var world = await BookingWorld.CreateAsync(Gateway.Services.GetRequiredService<InMemoryFhirStore>());
        await using var client = await GraphQLSseClient.StartAsync(Gateway.BaseAddress,
        [
            new("""{ practitioner(id: "alice-smith") { displayName } }"""),
            new(Book, new { input = new { slotIds = new[] { world.SlotId(1) }, patientId = world.Patient.Id } }),
            new("{ practitioner(id: "),
        ]);
        var answers = await client.AnswersAsync(3, TimeSpan.FromSeconds(30));

        Assert.Equal("Dr. Alice Smith", answers[0].At("data.practitioner.displayName")?.GetValue<string>());
        Assert.NotNull(answers[1].At("data.bookAppointment.appointment.fhirId"));
        // A document that does not parse: the protocol reports it on the accepted stream, not as a 400.
        Assert.Equal("SYNTAX_ERROR", GraphQLTransport.CodeOf(answers[2]));
        Assert.Null(answers[2]["data"]);
    }

    [Fact]
    public async Task Without_a_valid_token_the_stream_is_refused_with_401()
    {
        await using var client = await GraphQLSseClient.StartAsync(Gateway.BaseAddress, [new("{ __typename }")], bearerToken: "not-a-token");
        var line = await client.NextAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("error", line?.GetProperty("event").GetString());
        Assert.Equal(401, line?.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task An_EventSource_style_GET_subscription_streams_keep_alive_comments_until_the_host_stops()
    {
        var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Sse:KeepAliveSeconds"] = "1" });
        var query = Uri.EscapeDataString("subscription { slotsChanged(scheduleIds: [\"none\"]) { slotId } }");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + query);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache, "Cache-Control: no-cache");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        // An idle subscription: comment lines only, at least two within a few seconds, no event.
        var comments = 0;
        while (comments < 2)
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            Assert.NotNull(line);
            Assert.True(line.Length == 0 || line.StartsWith(':'), "unexpected line on an idle stream: " + line);
            comments += line.StartsWith(':') ? 1 : 0;
        }

        // The host stopping cuts the stream without a complete (the subscription did not end: the client reconnects
        // elsewhere), and does not wait for the client to leave.
        var stopping = gateway.DisposeAsync().AsTask();
        string? rest;
        while ((rest = await reader.ReadLineAsync(timeout.Token)) is not null)
        {
            Assert.True(rest.Length == 0 || rest.StartsWith(':'), "unexpected line at shutdown: " + rest);
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_mutation_over_GET_is_refused_on_the_stream_and_JSON_clients_still_get_GraphQL_over_HTTP()
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString("mutation { __typename }"));
        get.Headers.Accept.ParseAdd("text/event-stream");
        using var refused = await Gateway.Client.SendAsync(get);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Equal("text/event-stream", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("event: next\ndata: ", body, StringComparison.Ordinal);
        Assert.Contains("METHOD_NOT_ALLOWED", body, StringComparison.Ordinal);
        Assert.EndsWith("event: complete\ndata: \n\n", body, StringComparison.Ordinal);

        // Preferring JSON (or accepting anything) is GraphQL over HTTP, not a stream.
        foreach (var accept in new[] { "application/json, text/event-stream;q=0.5", "*/*" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent("""{"query":"{ __typename }"}""", System.Text.Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Accept", accept);
            using var post = await Gateway.Client.SendAsync(request);
            Assert.Equal("application/json", post.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Query", JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("__typename").GetString());
        }
    }
}
