using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Tests.Fhir;
using Scheduling.Testing;
using Xunit.Abstractions;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// What one booking costs the FHIR server to deliver to the subscribers of its practitioner, counted by Medplum's
/// server itself: the same for 1 subscriber and 200 (the event's reads are shared by every subscriber it reaches),
/// while each subscriber still receives only what it may see, with the reference graphql-ws client. Likewise a
/// cached resource that many operations miss at once is read once.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumFanOutTests(MedplumFixture medplumFixture, ITestOutputHelper output)
{
    private const string Watch = """
        subscription($practitioner: ID!, $schedule: ID!) {
          appointmentChanged(practitionerId: $practitioner, scheduleId: $schedule) {
            kind appointmentId
            appointment { slots { status } patient { displayName } practitioners { displayName } }
          }
        }
        """;

    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { errors { __typename } } }
        """;

    private readonly MedplumServer medplum = medplumFixture.Server;

    [Fact]
    public async Task One_booking_costs_the_same_FHIR_requests_to_deliver_to_1_or_200_subscribers_and_each_gets_what_it_may_see()
    {
        var gateway = await medplumFixture.GatewayAsync([.. TestTokens.Settings, ("GraphQL:RateLimitPerSecond", "0")]);

        var alone = await BookAsync(gateway, subscribers: 0);
        var one = await BookAsync(gateway, subscribers: 1);
        var many = await BookAsync(gateway, subscribers: 200);
        var delivery = (One: one.Count - alone.Count, Many: many.Count - alone.Count);
        output.WriteLine($"booking alone: {alone.Count} FHIR requests\n  {string.Join("\n  ", alone)}");
        output.WriteLine($"1 subscriber: {one.Count} ({delivery.One} for delivery)\n  {string.Join("\n  ", one)}");
        output.WriteLine($"200 subscribers: {many.Count} ({delivery.Many} for delivery)\n  {string.Join("\n  ", many)}");

        // Delivery reads the patient and the practitioner: once per event, however many subscribers. The slot (for
        // the schedule filter and the slots field alike) is not read: the booking's own slot write reached the
        // change stream just before the appointment, with the resource (CarriedResources); it used to be a third read.
        Assert.Equal(delivery.One, delivery.Many);
        Assert.InRange(delivery.One, 1, 2);
        Assert.Equal(alone.Count(IsSlotRead), one.Count(IsSlotRead));
        Assert.Equal(alone.Count(IsSlotRead), many.Count(IsSlotRead));
    }

    [Fact]
    public async Task Many_operations_missing_the_same_cached_resource_at_once_cause_one_FHIR_read()
    {
        var gateway = await medplumFixture.GatewayAsync([.. TestTokens.Settings, ("GraphQL:RateLimitPerSecond", "0")]);
        var world = await BookingWorld.CreateAsync(medplumFixture.Store, slots: 1);
        var doctorName = "Dr. Test " + world.Practitioner.Name[0].Family;

        await medplum.ResetCountsAsync();
        var token = TestTokens.Scheduler();
        using var start = new SemaphoreSlim(0);
        var queries = Enumerable.Range(0, 40).Select(async _ =>
        {
            await start.WaitAsync();
            return await gateway.QueryAsync("query($id: ID!) { practitioner(id: $id) { displayName } }", new { id = world.Practitioner.Id }, token);
        }).ToList();
        start.Release(queries.Count);
        var responses = await Task.WhenAll(queries);
        var requests = await medplum.RequestsAsync();
        output.WriteLine(string.Join("\n", requests));

        Assert.All(responses, r => Assert.Equal(doctorName, r.At("data.practitioner.displayName")!.GetValue<string>()));
        Assert.Single(requests, r => r.StartsWith("GET Practitioner", StringComparison.Ordinal));
    }

    private static bool IsSlotRead(string request) => request.StartsWith("GET Slot", StringComparison.Ordinal);

    /// <summary>A fresh practice (nothing cached), <paramref name="subscribers"/> watching its practitioner, one booking: the FHIR requests from the booking until every event is out.</summary>
    private async Task<IReadOnlyList<string>> BookAsync(GatewayServer gateway, int subscribers)
    {
        var world = await BookingWorld.CreateAsync(medplumFixture.Store, slots: 1);
        var stranger = await BookingWorld.CreateAsync(medplumFixture.Store, slots: 1);
        var patientName = world.Patient.Name[0].Given.First() + " " + world.Patient.Name[0].Family;
        var doctorName = "Dr. Test " + world.Practitioner.Name[0].Family;

        // Who watches: the practitioner, the booked patient, the front desk (everyone else); and, beyond the
        // count, callers who may not see this appointment (another practitioner, another patient): they get nothing.
        var watchers = Enumerable.Range(0, subscribers).Select(i => (i % 10) switch
        {
            0 => TestTokens.Practitioner(world.Practitioner.Id!),
            1 => TestTokens.Patient(world.Patient.Id!),
            _ => TestTokens.Scheduler(),
        }).Select(token => (Params: (object?)new { Authorization = "Bearer " + token }, Expects: true)).ToList();
        if (subscribers > 1)
        {
            watchers.Add((new { Authorization = "Bearer " + TestTokens.Practitioner(stranger.Practitioner.Id!) }, false));
            watchers.Add((new { Authorization = "Bearer " + TestTokens.Patient(world.OtherPatient.Id!) }, false));
        }

        var before = gateway.Subscribers();
        await using var crowd = subscribers == 0 ? null : await GraphQLWsCrowd.SubscribeAsync(gateway.BaseAddress, Watch, new { practitioner = world.Practitioner.Id, schedule = world.Schedule.Id }, watchers);
        if (crowd is not null)
        {
            Assert.Equal("connected", crowd.First.GetProperty("event").GetString());
            await gateway.UntilSubscribedAsync(before, watchers.Count);
        }

        await medplum.ResetCountsAsync();
        var booked = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } }, TestTokens.Scheduler());
        Assert.Null(booked["errors"]);
        Assert.Empty(booked.At("data.bookAppointment.errors")!.AsArray());
        if (crowd is not null)
        {
            var (results, done) = await crowd.CollectAsync(TimeSpan.FromSeconds(60));
            Assert.True(done, $"only {results.Count} of {subscribers} subscribers got the event; the crowd ended with {crowd.Ending ?? "silence"}; " +
                $"errors: {string.Join(" | ", results.Values.SelectMany(r => r).Where(r => r.ValueKind == JsonValueKind.Object && r.TryGetProperty("error", out _)).Take(3))}");
            for (var i = 0; i < watchers.Count; i++)
            {
                if (!watchers[i].Expects)
                {
                    Assert.False(results.ContainsKey(i), $"subscriber {i} may not see this appointment but got {(results.TryGetValue(i, out var r) ? r[0] : default)}");
                    continue;
                }

                var change = Assert.Single(results[i]);
                Assert.False(change.TryGetProperty("errors", out _), change.ToString());
                var appointment = change.GetProperty("data").GetProperty("appointmentChanged").GetProperty("appointment");
                Assert.Equal("BUSY", appointment.GetProperty("slots")[0].GetProperty("status").GetString());
                Assert.Equal(patientName, appointment.GetProperty("patient").GetProperty("displayName").GetString());
                Assert.Equal(doctorName, Assert.Single(appointment.GetProperty("practitioners").EnumerateArray()).GetProperty("displayName").GetString());
            }
        }

        return await medplum.RequestsAsync();
    }
}
