using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;
using static Scheduling.Testing.GraphQLMutations;

namespace Scheduling.Tests.Webhooks;

/// <summary>
/// Webhooks end to end on the embedded store: a receiver on 127.0.0.1 gets each change signed, a failing one gets
/// retries with growing waits, a replay sends the same event id again, and only admins register, never a private URL.
/// </summary>
public sealed class WebhookDeliveryTests
{
    private const string Register = "mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) { secret webhook { webhookId fhirId url events status } " + Errors + " } }";
    private const string Book = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } " + Errors + " } }";
    private const string Reschedule = "mutation($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) { appointment { fhirId } " + Errors + " } }";
    private const string Cancel = "mutation($input: CancelAppointmentInput!) { cancelAppointment(input: $input) { appointment { fhirId } " + Errors + " } }";
    private const string Deliveries = "query($id: ID!) { webhookDeliveries(webhookId: $id, first: 20) { nodes { eventId eventType attempt outcome statusCode durationMs error replay } } }";
    private const string Replay = "mutation($input: ReplayWebhookDeliveriesInput!) { replayWebhookDeliveries(input: $input) { eventIds " + Errors + " } }";

    private static Dictionary<string, string?> Settings(bool openNetworks = true, int baseDelayMs = 200, int maxAttempts = 8)
    {
        var settings = TestTokens.GatewaySettings();
        settings["Webhooks:Enabled"] = "true";
        settings["Webhooks:SigningKey"] = "webhook-signing-key-of-at-least-32-bytes";
        settings["Webhooks:AllowHttp"] = openNetworks ? "true" : "false";
        settings["Webhooks:AllowPrivateNetworks"] = openNetworks ? "true" : "false";
        settings["Webhooks:BaseDelayMilliseconds"] = baseDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Webhooks:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    [Fact]
    public async Task Each_change_reaches_the_receiver_signed_and_verifiable()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var gateway = await GatewayServer.StartAsync(Settings());
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var admin = TestTokens.Admin();
        var registered = await gateway.QueryAsync(Register, new { input = new { url = receiver.Url, description = "reminders" } }, admin);
        var secret = Str(registered, "data.registerWebhook.secret");
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);

        var scheduler = TestTokens.Scheduler();
        var booked = await gateway.QueryAsync(Book, new { input = new { time = new { slotIds = new[] { world.SlotId(0) } }, patientId = world.Patient.Id } }, scheduler);
        var appointmentId = Str(booked, "data.bookAppointment.appointment.fhirId");
        await gateway.QueryAsync(Reschedule, new { input = new { appointmentId, time = new { slotIds = new[] { world.SlotId(3) } } } }, scheduler);
        await gateway.QueryAsync(Cancel, new { input = new { appointmentId, reason = "patient asked" } }, scheduler);

        var received = await receiver.UntilAsync(r => r.Count >= 3);
        await Task.Delay(500); // nothing more should follow
        // Deliveries run side by side (Webhooks:Concurrency) and a retry comes later: arrival order is not promised
        // (README); the event ids order the changes.
        received = [.. receiver.Received.OrderBy(r => ChangeEventId.TryParse(r.EventId, out var id) ? id : throw new InvalidOperationException("event id " + r.EventId))];
        Assert.Equal(["APPOINTMENT_BOOKED", "APPOINTMENT_RESCHEDULED", "APPOINTMENT_CANCELLED"], received.Select(r => r.EventType));
        foreach (var delivery in received)
        {
            // A receiver's check, written from the README's recipe (not the gateway's code).
            Assert.True(VerifiesAsTheReadmeSays(secret, delivery.Signature!, delivery.Body), "signature verifies: " + delivery.Signature);
            Assert.False(VerifiesAsTheReadmeSays(secret + "x", delivery.Signature!, delivery.Body));
            var body = JsonNode.Parse(delivery.Text)!;
            Assert.Equal(delivery.EventId, Str(body, "id"));
            Assert.Equal(delivery.EventType, Str(body, "type"));
            Assert.Equal(appointmentId, Str(body, "appointment.fhirId"));
            Assert.Equal(1, delivery.Attempt);
        }

        Assert.Equal(3, received.Select(r => r.EventId).Distinct().Count());
        var moved = JsonNode.Parse(received[1].Text)!;
        Assert.Equal(world.Slots[0].Start, DateTimeOffset.Parse(Str(moved, "appointment.previousStart"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(world.Slots[3].Start, DateTimeOffset.Parse(Str(moved, "appointment.start"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("CANCELLED", Str(JsonNode.Parse(received[2].Text), "appointment.status"));
        // Patients appear by id only: no name, no telecom.
        Assert.DoesNotContain(world.Patient.Name[0].Family!, string.Concat(received.Select(r => r.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_receiver_gets_retries_with_growing_waits_then_the_event_and_the_log_shows_each_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n < 3 ? 500 : 200);
        const int BaseDelay = 300;
        await using var gateway = await GatewayServer.StartAsync(Settings(baseDelayMs: BaseDelay));
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var admin = TestTokens.Admin();
        var webhookId = Str(await gateway.QueryAsync(Register, new { input = new { url = receiver.Url, events = new[] { "APPOINTMENT_BOOKED" } } }, admin), "data.registerWebhook.webhook.webhookId");

        await gateway.QueryAsync(Book, new { input = new { time = new { slotIds = new[] { world.SlotId(0) } }, patientId = world.Patient.Id } }, admin);
        var received = await receiver.UntilAsync(r => r.Count >= 4, seconds: 30);

        Assert.Equal([1, 2, 3, 4], received.Select(r => r.Attempt));
        Assert.Single(received.Select(r => r.EventId).Distinct());
        // The wait after failed attempt n is at least half of base·2^(n-1): 150, 300, 600 ms; they grow.
        for (var n = 1; n <= 3; n++)
        {
            var gap = received[n].At - received[n - 1].At;
            Assert.True(gap >= TimeSpan.FromMilliseconds((BaseDelay * Math.Pow(2, n - 1) / 2) - 20), $"wait after attempt {n}: {gap.TotalMilliseconds} ms");
        }

        var log = await UntilLogAsync(gateway, admin, webhookId, 4);
        Assert.Equal(["DELIVERED", "RETRYING", "RETRYING", "RETRYING"], log.Select(e => Str(e, "outcome")));
        Assert.Equal([4, 3, 2, 1], log.Select(e => e!["attempt"]!.GetValue<int>()));
        Assert.Equal([200, 500, 500, 500], log.Select(e => e!["statusCode"]!.GetValue<int>()));
        Assert.All(log, e => Assert.Equal(received[0].EventId, Str(e, "eventId")));
        Assert.All(log.Skip(1), e => Assert.Contains("500", Str(e, "error"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_delivery_failing_every_attempt_is_marked_failed_and_a_410_disables_the_webhook()
    {
        await using var failing = await WebhookReceiver.StartAsync(_ => 503);
        await using var gone = await WebhookReceiver.StartAsync(_ => 410);
        await using var gateway = await GatewayServer.StartAsync(Settings(baseDelayMs: 50, maxAttempts: 2));
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var admin = TestTokens.Admin();
        var failingId = Str(await gateway.QueryAsync(Register, new { input = new { url = failing.Url } }, admin), "data.registerWebhook.webhook.webhookId");
        var goneId = Str(await gateway.QueryAsync(Register, new { input = new { url = gone.Url } }, admin), "data.registerWebhook.webhook.webhookId");

        var booked = await gateway.QueryAsync(Book, new { input = new { time = new { slotIds = new[] { world.SlotId(0) } }, patientId = world.Patient.Id } }, admin);
        await failing.UntilAsync(r => r.Count >= 2);
        await gone.UntilAsync(r => r.Count >= 1);
        Assert.Equal(["FAILED", "RETRYING"], (await UntilLogAsync(gateway, admin, failingId, 2)).Select(e => Str(e, "outcome")));
        Assert.Equal(["DISABLED"], (await UntilLogAsync(gateway, admin, goneId, 1)).Select(e => Str(e, "outcome")));

        var webhooks = await UntilAsync(async () =>
        {
            var all = (await gateway.QueryAsync("{ webhooks { nodes { webhookId status lastError } } }", null, admin)).At("data.webhooks.nodes")!.AsArray();
            return all.Any(w => Str(w, "status") == "DISABLED") && all.Any(w => Str(w, "status") == "ERROR") ? all : null;
        });
        Assert.Contains("failed after 2 attempts", Str(webhooks.Single(w => Str(w, "webhookId") == failingId), "lastError"), StringComparison.Ordinal);
        Assert.Equal("DISABLED", Str(webhooks.Single(w => Str(w, "webhookId") == goneId), "status"));

        // A disabled webhook gets nothing more; the failing one still gets the next event.
        await gateway.QueryAsync(Cancel, new { input = new { appointmentId = Str(booked, "data.bookAppointment.appointment.fhirId"), reason = "x" } }, admin);
        await failing.UntilAsync(r => r.Count >= 4);
        Assert.Single(gone.Received);
    }

    [Fact]
    public async Task A_replay_sends_the_same_event_id_again()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var gateway = await GatewayServer.StartAsync(Settings());
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var admin = TestTokens.Admin();
        var webhookId = Str(await gateway.QueryAsync(Register, new { input = new { url = receiver.Url } }, admin), "data.registerWebhook.webhook.webhookId");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await gateway.QueryAsync(Book, new { input = new { time = new { slotIds = new[] { world.SlotId(0) } }, patientId = world.Patient.Id } }, admin);
        var first = (await receiver.UntilAsync(r => r.Count >= 1))[0];

        var replay = await gateway.QueryAsync(Replay, new { input = new { webhookId, eventIds = new[] { first.EventId } } }, admin);
        Assert.Equal([first.EventId], replay.At("data.replayWebhookDeliveries.eventIds")!.AsArray().Select(e => e!.GetValue<string>()));
        var again = (await receiver.UntilAsync(r => r.Count >= 2))[1];
        Assert.Equal(first.EventId, again.EventId);
        Assert.Equal(first.Text, again.Text);

        var since = await gateway.QueryAsync(Replay, new { input = new { webhookId, since = Iso(before) } }, admin);
        Assert.Equal([first.EventId], since.At("data.replayWebhookDeliveries.eventIds")!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(first.EventId, (await receiver.UntilAsync(r => r.Count >= 3))[2].EventId);

        var log = await UntilLogAsync(gateway, admin, webhookId, 3);
        Assert.Equal([true, true, false], log.Select(e => e!["replay"]!.GetValue<bool>()));
        var unknown = await gateway.QueryAsync(Replay, new { input = new { webhookId, eventIds = new[] { "1-0" } } }, admin);
        Assert.Empty(unknown.At("data.replayWebhookDeliveries.eventIds")!.AsArray());
    }

    [Fact]
    public async Task Only_an_admin_registers_reads_or_replays_and_a_private_url_is_refused()
    {
        await using var gateway = await GatewayServer.StartAsync(Settings(openNetworks: false));
        foreach (var token in new[] { TestTokens.Scheduler(), TestTokens.Practitioner("p1"), TestTokens.Patient("pat1") })
        {
            var refused = await gateway.QueryAsync(Register, new { input = new { url = "https://receiver.example.com/hook" } }, token);
            Assert.Equal("ForbiddenError", Str(refused, "data.registerWebhook.errors.0.__typename"));
            Assert.Null(refused.At("data.registerWebhook.secret"));
            var read = await gateway.QueryAsync("{ webhooks { nodes { webhookId } } }", null, token);
            Assert.Equal("FORBIDDEN", Str(read, "errors.0.extensions.code"));
        }

        var admin = TestTokens.Admin();
        foreach (var url in new[] { "https://10.0.0.5/hook", "https://169.254.169.254/latest", "https://127.0.0.1/hook", "https://localhost/hook", "http://receiver.example.com/hook" })
        {
            var refused = await gateway.QueryAsync(Register, new { input = new { url } }, admin);
            Assert.Equal("ValidationError", Str(refused, "data.registerWebhook.errors.0.__typename"));
            Assert.Equal("url", Str(refused, "data.registerWebhook.errors.0.field"));
        }

        Assert.Empty((await gateway.QueryAsync("{ webhooks { nodes { webhookId } } }", null, admin)).At("data.webhooks.nodes")!.AsArray());
        var accepted = await gateway.QueryAsync(Register, new { input = new { url = "https://receiver.example.com/hook" } }, admin);
        Assert.Empty(accepted.At("data.registerWebhook.errors")!.AsArray());
    }

    /// <summary>Stripe's recipe as the README gives it: split the header, HMAC-SHA256(secret, t + "." + body), compare, check t.</summary>
    private static bool VerifiesAsTheReadmeSays(string secret, string header, byte[] body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var t = long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture);
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.UTF8.GetBytes(parts["t"] + "."), .. body]);
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(parts["v1"])) &&
               Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t) <= 300;
    }

    private static async Task<List<JsonNode?>> UntilLogAsync(GatewayServer gateway, string token, string webhookId, int count) =>
        await UntilAsync(async () =>
        {
            var log = (await gateway.QueryAsync(Deliveries, new { id = webhookId }, token)).At("data.webhookDeliveries.nodes")?.AsArray().ToList();
            return log?.Count >= count ? log : null;
        });

    private static async Task<T> UntilAsync<T>(Func<Task<T?>> read)
        where T : class
    {
        for (var i = 0; i < 200; i++)
        {
            if (await read() is { } done)
            {
                return done;
            }

            await Task.Delay(100);
        }

        Assert.Fail("not reached within 20 s");
        return null!;
    }
}
