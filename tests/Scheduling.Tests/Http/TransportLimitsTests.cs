using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Gateway.Execution;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Subscriptions;
using static Scheduling.Testing.GraphQLTransport;

namespace Scheduling.Tests.Http;

/// <summary>
/// Every limit of an operation holds the same whichever transport carries it, since all of them run the one execution
/// pipeline: the per-caller rate, the deadline, the FHIR-search budget (availability priced by its span) and the
/// directive cap; a caller's subscriptions are capped across all its connections and transports; and an expired token
/// ends the caller's operations, long-lived ones included. A new transport
/// is one more InlineData.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class TransportLimitsTests(MedplumFixture medplum)
{
    [Theory]
    [InlineData(GraphQLTransport.Http)]
    [InlineData(GraphQLTransport.WebSocket)]
    [InlineData(GraphQLTransport.Sse)]
    public async Task Every_limit_holds_equally_on_every_transport(string name)
    {
        var transport = Named(name);
        var settings = medplum.Settings(
            ("GraphQL:OperationTimeoutSeconds", "1"), ("Cache:Enabled", "false"), ("GraphQL:MaxFhirSearches", "10"),
            ("GraphQL:RateLimitPerSecond", "1"), ("GraphQL:RateLimitBurst", "5"));
        foreach (var (key, value) in TestTokens.Settings)
        {
            settings[key] = value;
        }

        await using var gateway = await GatewayServer.StartAsync(settings);

        // Each step is its own caller (its own token subject, so its own rate bucket).
        // FHIR-search budget: eleven connections where ten are allowed.
        var searches = "{ " + string.Join(' ', Enumerable.Range(0, 11).Select(i => $"p{i}: practitioners {{ nodes {{ id }} }}")) + " }";
        var budget = await transport.RunAsync(gateway, new GraphQLOperation(searches), TestTokens.Admin());
        Assert.Equal("TOO_MANY_FHIR_SEARCHES", CodeOf(budget));
        Assert.Null(budget["data"]);

        // availability is priced by its span: two practitioners over 60 days is 1 + 9 weeks x 2 searches, one day 1 + 2.
        const string availability = "query($end: DateTime) { availability(input: { practitionerIds: [\"alice-smith\", \"bob-jones\"], end: $end }) { nodes { start } } }";
        var wide = await transport.RunAsync(gateway, new GraphQLOperation(availability, new { end = DateTimeOffset.UtcNow.AddDays(60).ToString("O") }), TestTokens.Admin());
        Assert.Equal("TOO_MANY_FHIR_SEARCHES", CodeOf(wide));
        Assert.Contains("19 FHIR searches", wide.At("errors.0.message")!.GetValue<string>(), StringComparison.Ordinal);
        var narrow = await transport.RunAsync(gateway, new GraphQLOperation(availability, new { end = DateTimeOffset.UtcNow.AddDays(1).ToString("O") }), TestTokens.Admin());
        Assert.NotEqual("TOO_MANY_FHIR_SEARCHES", CodeOf(narrow));

        // Directive cap: 30,000 directives on one field (finding 5) are refused before GraphQL's own rules walk them.
        var directives = await transport.RunAsync(gateway, new GraphQLOperation("{ __typename" + string.Concat(Enumerable.Repeat(" @skip(if: false)", 30_000)) + " }"), TestTokens.Admin());
        Assert.Equal("TOO_MANY_DIRECTIVES", CodeOf(directives));
        Assert.Single(directives["errors"]!.AsArray());

        // Operation timeout: FHIR answers after 1.5 s, the deadline is 1 s.
        await medplum.Server.Control.PostAsync("latency?ms=1500", null);
        try
        {
            var slow = await transport.RunAsync(gateway, new GraphQLOperation("{ practitioners { nodes { id } } }"), TestTokens.Admin());
            Assert.Equal("OPERATION_TIMEOUT", CodeOf(slow));
        }
        finally
        {
            await medplum.Server.Control.PostAsync("latency?ms=0", null);
        }

        // Rate: a burst of 5, then 1 per second; over it RATE_LIMITED, and (on a socket) the connection stays open.
        var burst = await transport.RunAsync(gateway, Enumerable.Repeat(new GraphQLOperation("{ __typename }"), 12).ToList(), TestTokens.Admin());
        Assert.Equal(12, burst.Count);
        Assert.All(burst.Take(5), answer => Assert.Equal("Query", answer.At("data.__typename")?.GetValue<string>()));
        Assert.InRange(burst.Count(a => CodeOf(a) == "RATE_LIMITED"), 4, 7);
        Assert.All(burst, answer => Assert.True(CodeOf(answer) is null or "RATE_LIMITED", answer.ToJsonString()));
    }

    [Theory]
    [InlineData(GraphQLTransport.Http)]
    [InlineData(GraphQLTransport.WebSocket)]
    [InlineData(GraphQLTransport.Sse)]
    public async Task One_callers_subscriptions_are_capped_across_its_connections_and_transports(string name)
    {
        const string Watch = "subscription { slotsChanged(scheduleIds: [\"s\"]) { slotId } }";
        var transport = Named(name);
        var settings = TestTokens.GatewaySettings();
        settings["Subscriptions:MaxPerCaller"] = "2";
        await using var gateway = await GatewayServer.StartAsync(settings);
        var caller = TestTokens.Scheduler();
        var before = gateway.Subscribers();

        // The caller's two places: one subscription on an event stream, one on a socket (each alone on its connection).
        using var stream = await OpenEventStreamAsync(gateway, Watch, caller);
        using var socket = await RawSocket.ConnectAndInitAsync(gateway, JsonSerializer.Serialize(new { Authorization = "Bearer " + caller }));
        await socket.SendTextAsync(JsonSerializer.Serialize(new { id = "1", type = "subscribe", payload = new { query = Watch } }));
        await gateway.UntilSubscribedAsync(before, 2);

        // A third, on a new connection of any transport, is refused with a typed error (over HTTP no subscription runs at all).
        var third = await transport.RunAsync(gateway, new GraphQLOperation(Watch), caller);
        Assert.Equal(name == GraphQLTransport.Http ? "SUBSCRIPTION_NEEDS_STREAM" : CallerSubscriptions.TooManySubscriptions, CodeOf(third));
        Assert.Null(third["data"]);

        // Queries are not subscriptions; and the socket that holds a place carries on.
        Assert.Equal("Query", (await transport.RunAsync(gateway, new GraphQLOperation("{ __typename }"), caller)).At("data.__typename")?.GetValue<string>());
        Assert.Equal(WebSocketState.Open, socket.State);

        // A place is given back when its subscription ends (here its connection closes).
        var open = gateway.Services.GetRequiredService<CallerSubscriptions>();
        var principal = Principal(caller);
        Assert.Equal(2, open.OpenBy(principal, null));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        for (var i = 0; i < 200 && open.OpenBy(principal, null) > 1; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, open.OpenBy(principal, null));
    }

    /// <summary>
    /// One instance holds at most <c>Subscriptions:MaxPerInstance</c> subscriptions, whoever holds them and on whichever
    /// stream transport: one more, from a caller with places of its own to spare, gets SUBSCRIPTIONS_AT_CAPACITY on its
    /// transport; a place given back lets the next one in. The cap is validated at start.
    /// </summary>
    [Theory]
    [InlineData(GraphQLTransport.WebSocket)]
    [InlineData(GraphQLTransport.Sse)]
    public async Task The_instance_holds_at_most_its_subscription_cap_whoever_asks_on_every_stream_transport(string name)
    {
        const string Watch = "subscription { slotsChanged(scheduleIds: [\"s\"]) { slotId } }";
        var transport = Named(name);
        var settings = TestTokens.GatewaySettings();
        settings["Subscriptions:MaxPerInstance"] = "2";
        await using var gateway = await GatewayServer.StartAsync(settings);
        var before = gateway.Subscribers();

        // Two callers take the instance's two places, one on an event stream, one on a socket.
        using var stream = await OpenEventStreamAsync(gateway, Watch, TestTokens.Scheduler());
        using var socket = await RawSocket.ConnectAndInitAsync(gateway, JsonSerializer.Serialize(new { Authorization = "Bearer " + TestTokens.Admin() }));
        await socket.SendTextAsync(JsonSerializer.Serialize(new { id = "1", type = "subscribe", payload = new { query = Watch } }));
        await gateway.UntilSubscribedAsync(before, 2);

        // A third caller, far under its own cap, is refused with the typed error; its queries are still served.
        var third = TestTokens.Scheduler();
        var refused = await transport.RunAsync(gateway, new GraphQLOperation(Watch), third);
        Assert.Equal(CallerSubscriptions.AtCapacity, CodeOf(refused));
        Assert.Null(refused["data"]);
        Assert.Equal("Query", (await transport.RunAsync(gateway, new GraphQLOperation("{ __typename }"), third)).At("data.__typename")?.GetValue<string>());
        var open = gateway.Services.GetRequiredService<CallerSubscriptions>();
        Assert.Equal(2, open.Open);

        // A place given back (the socket closes) lets the next subscription in.
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        for (var i = 0; i < 200 && open.Open > 1; i++)
        {
            await Task.Delay(20);
        }

        var beforeAdmitted = gateway.Subscribers();
        using var admitted = await OpenEventStreamAsync(gateway, Watch, third);
        await gateway.UntilSubscribedAsync(beforeAdmitted);
        Assert.Equal(2, open.Open);

        settings["Subscriptions:MaxPerInstance"] = "0";
        var invalid = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => GatewayServer.StartAsync(settings));
        Assert.Contains("MaxPerInstance", invalid.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A token's lifetime holds on every transport, long-lived connections included: until its <c>exp</c> the caller is
    /// served (a subscription gets its events), from then on it is not. HTTP refuses the next request (401
    /// UNAUTHENTICATED), a WebSocket closes with 4403, an event stream ends with a TOKEN_EXPIRED error then complete;
    /// and the subscription is gone from the gateway. Real short-lived tokens, reference clients.
    /// </summary>
    [Theory]
    [InlineData(GraphQLTransport.Http, "UNAUTHENTICATED")]
    [InlineData(GraphQLTransport.WebSocket, "4403")]
    [InlineData(GraphQLTransport.Sse, "TOKEN_EXPIRED")]
    public async Task An_expired_token_ends_the_callers_operations_on_every_transport(string name, string told)
    {
        var transport = Named(name);
        var settings = TestTokens.GatewaySettings();
        settings["WebSockets:KeepAliveSeconds"] = "0";
        // No clock skew, so HTTP refuses an expired token at once too (streams go by exp either way).
        await using var gateway = await GatewayServer.StartAsync(settings, services => services.PostConfigure<JwtBearerOptions>(
            JwtBearerDefaults.AuthenticationScheme, jwt => jwt.TokenValidationParameters.ClockSkew = TimeSpan.Zero));
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        // exp is in whole seconds: 9 to 10 s from now, long enough for a Node client to start on a loaded machine.
        var expires = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(10).ToUnixTimeSeconds());
        var token = TestTokens.IssueFor("user-expiring-" + name, TestTokens.SigningKey, expires.UtcDateTime, ("role", "admin"));
        var before = gateway.Subscribers();

        var running = transport.RunUntilEndedAsync(gateway,
            new GraphQLOperation("subscription($s: [ID!]!) { slotsChanged(scheduleIds: $s) { slotId } }", new { s = new[] { world.Schedule.Id } }),
            new GraphQLOperation("{ __typename }"), token, TimeSpan.FromSeconds(40));
        if (name != GraphQLTransport.Http)
        {
            await gateway.UntilSubscribedAsync(before);
            var booked = await gateway.QueryAsync(
                "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } } }",
                new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } }, TestTokens.Admin());
            Assert.NotNull(booked.At("data.bookAppointment.appointment.id"));
        }

        var ending = await running;
        Assert.Equal(told, ending.Code);
        Assert.True(ending.At >= expires, $"ended at {ending.At:O}, before the token's expiry {expires:O}");
        Assert.True(ending.At < expires + TimeSpan.FromSeconds(5), $"ended at {ending.At:O}, long after the token's expiry {expires:O}");
        // Served until then: the query's answers, or the booking's event on the stream.
        Assert.NotEmpty(ending.Before);
        Assert.All(ending.Before, result => Assert.Null(CodeOf(result)));
        await gateway.UntilUnsubscribedAsync(before);
    }

    /// <summary>An SSE subscription held open by a raw client (accepted: its headers have come).</summary>
    private static async Task<HttpResponseMessage> OpenEventStreamAsync(GatewayServer gateway, string query, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return response;
    }

    /// <summary>The principal a token names, as far as the cap tells callers apart (its subject).</summary>
    private static System.Security.Claims.ClaimsPrincipal Principal(string token) =>
        new(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("sub", new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Subject)], "test"));
}
