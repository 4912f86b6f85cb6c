using System.Net;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Subscriptions;

namespace Scheduling.Tests.Security;

/// <summary>
/// Renewing a socket's token: a ping carrying a new token for the same subject and rights keeps its subscriptions
/// past the first token's expiry; any other renewal closes it with 4403. (Expiry itself, on every transport, is
/// <c>TransportLimitsTests.An_expired_token_ends_the_callers_operations_on_every_transport</c>.) Real short-lived
/// tokens over the reference graphql-ws client.
/// </summary>
public sealed class TokenExpiryTests : IAsyncLifetime
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } } }
        """;

    private const string SlotsChanged = "subscription($s: [ID!]!) { slotsChanged(scheduleIds: $s) { slotId } }";

    private GatewayServer _gateway = null!;

    private BookingWorld _world = null!;

    public async Task InitializeAsync()
    {
        var settings = TestTokens.GatewaySettings();
        settings["WebSockets:KeepAliveSeconds"] = "0";
        // No clock skew, so HTTP refuses an expired token at once too (the socket goes by exp either way).
        _gateway = await GatewayServer.StartAsync(settings, services => services.PostConfigure<JwtBearerOptions>(
            JwtBearerDefaults.AuthenticationScheme, jwt => jwt.TokenValidationParameters.ClockSkew = TimeSpan.Zero));
        _world = await BookingWorld.CreateAsync(_gateway.Services.GetRequiredService<InMemoryFhirStore>());
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_ping_with_a_new_token_for_the_same_subject_keeps_the_subscription_past_the_first_expiry()
    {
        var (token, expires) = ShortLived("user-renewing");
        var renewed = TestTokens.IssueFor("user-renewing", TestTokens.SigningKey, DateTime.UtcNow.AddMinutes(10), ("role", "admin"));
        var before = _gateway.Subscribers();
        await using var client = await GraphQLWsClient.SubscribeAsync(_gateway.BaseAddress, SlotsChanged, new { s = new[] { _world.Schedule.Id } },
            count: 1, timeoutMs: 30000, connectionParams: new { Authorization = "Bearer " + token }, renewals: [(TimeSpan.FromSeconds(2), renewed)]);
        Assert.Equal("connected", client.First.GetProperty("event").GetString());
        await _gateway.UntilSubscribedAsync(before);

        var wait = expires - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        using (var http = await _gateway.PostAsync("{ __typename }", bearerToken: token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, http.StatusCode);
        }

        await BookAsync(2);
        Assert.Equal("next", (await client.NextAsync(TimeSpan.FromSeconds(10)))?.GetProperty("event").GetString());
    }

    [Fact]
    public async Task A_ping_with_another_subjects_or_an_invalid_token_closes_with_4403()
    {
        foreach (var renewal in new[]
        {
            TestTokens.IssueFor("someone-else", TestTokens.SigningKey, DateTime.UtcNow.AddMinutes(10), ("role", "admin")),
            TestTokens.IssueFor("user-hijacked", "another-key-that-is-at-least-32-bytes", DateTime.UtcNow.AddMinutes(10), ("role", "admin")),
        })
        {
            var token = TestTokens.IssueFor("user-hijacked", TestTokens.SigningKey, DateTime.UtcNow.AddMinutes(10), ("role", "patient"), ("patient", "ned-flanders"));
            await using var client = await GraphQLWsClient.SubscribeAsync(_gateway.BaseAddress, SlotsChanged, new { s = new[] { _world.Schedule.Id } },
                timeoutMs: 15000, connectionParams: new { Authorization = "Bearer " + token }, renewals: [(TimeSpan.FromMilliseconds(200), renewal)]);
            Assert.Equal("connected", client.First.GetProperty("event").GetString());
            var closed = await client.NextAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("error", closed?.GetProperty("event").GetString());
            Assert.Equal(4403, closed?.GetProperty("code").GetInt32());
        }
    }

    [Fact]
    public async Task A_ping_with_a_token_of_the_same_subject_but_other_rights_closes_with_4403()
    {
        // An admin's socket watching every appointment, renewed with a patient's token for the same subject (and the
        // reverse, and another patient): the running subscription was authorized for the first rights, so the renewal
        // is refused rather than letting it go on delivering other patients' appointments past the admin token's expiry.
        const string Subject = "user-changing";
        var admin = TestTokens.IssueFor(Subject, TestTokens.SigningKey, DateTime.UtcNow.AddMinutes(10), ("role", "admin"));
        var patient = TestTokens.IssueFor(Subject, TestTokens.SigningKey, DateTime.UtcNow.AddMinutes(10), ("role", "patient"), ("patient", _world.Patient.Id!));
        var otherPatient = TestTokens.IssueFor(Subject, TestTokens.SigningKey, DateTime.UtcNow.AddMinutes(10), ("role", "patient"), ("patient", "ned-flanders"));
        foreach (var (first, renewal) in new[] { (admin, patient), (patient, admin), (patient, otherPatient) })
        {
            await using var client = await GraphQLWsClient.SubscribeAsync(_gateway.BaseAddress, "subscription { appointmentChanged { appointment { patient { name { family } } } } }",
                timeoutMs: 15000, connectionParams: new { Authorization = "Bearer " + first }, renewals: [(TimeSpan.FromMilliseconds(200), renewal)]);
            Assert.Equal("connected", client.First.GetProperty("event").GetString());
            var closed = await client.NextAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("error", closed?.GetProperty("event").GetString());
            Assert.Equal(4403, closed?.GetProperty("code").GetInt32());
        }
    }

    /// <summary>
    /// An admin token that expires in 9 to 10 s (a JWT's exp is in whole seconds), and that exact expiry: long enough
    /// for the Node client to start and subscribe on a loaded machine (the whole suite on 2 cores), short for a test.
    /// </summary>
    private static (string Token, DateTimeOffset Expires) ShortLived(string subject)
    {
        var expires = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(10).ToUnixTimeSeconds());
        return (TestTokens.IssueFor(subject, TestTokens.SigningKey, expires.UtcDateTime, ("role", "admin")), expires);
    }

    private async Task BookAsync(int slot)
    {
        var booked = await _gateway.QueryAsync(Book, new { input = new { slotIds = new[] { _world.SlotId(slot) }, patientId = _world.Patient.Id } }, TestTokens.Admin());
        Assert.NotNull(booked.At("data.bookAppointment.appointment.id"));
    }
}
