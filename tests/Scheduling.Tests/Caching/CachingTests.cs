using System.Diagnostics;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Caching;

/// <summary>Slowly changing reads are cached per instance and in Redis; changes invalidate them everywhere.</summary>
[Collection(MedplumCollection.Name)]
public sealed class CachingTests(MedplumFixture medplum)
{
    private const string ReadSchedule = """
        query($id: ID!) { schedule(id: $id) { fhirId availability { slotMinutes } actors { ... on Practitioner { displayName } } } }
        """;

    [Fact]
    public async Task A_cached_read_is_served_without_a_FHIR_call()
    {
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings());
        var world = await BookingWorld.CreateAsync(medplum.Store);

        await medplum.Server.ResetCountsAsync();
        var first = await gateway.QueryAsync(ReadSchedule, new { id = world.Schedule.Id });
        var cold = (await medplum.Server.RequestsAsync()).Count;
        await medplum.Server.ResetCountsAsync();
        var second = await gateway.QueryAsync(ReadSchedule, new { id = world.Schedule.Id });

        Assert.Equal(first.ToJsonString(), second.ToJsonString());
        Assert.Equal(3, cold); // schedule, then its practitioner and location
        Assert.Empty(await medplum.Server.RequestsAsync());
    }

    [Fact]
    public async Task A_change_through_one_instance_invalidates_the_others_and_a_new_instance_reads_Redis()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = medplum.Settings(("Redis:Configuration", redis.Configuration));
        await using var a = await GatewayServer.StartAsync(settings);
        await using var b = await GatewayServer.StartAsync(settings);
        var world = await BookingWorld.CreateAsync(medplum.Store);

        var before = await b.QueryAsync(ReadSchedule, new { id = world.Schedule.Id });
        Assert.Null(before.At("data.schedule.availability"));
        await medplum.Server.ResetCountsAsync();
        await b.QueryAsync(ReadSchedule, new { id = world.Schedule.Id });
        Assert.Empty(await medplum.Server.RequestsAsync()); // B serves it from its cache

        // A third instance has never read it: it finds it in Redis, not in FHIR.
        await using (var c = await GatewayServer.StartAsync(settings))
        {
            await medplum.Server.ResetCountsAsync();
            await c.QueryAsync(ReadSchedule, new { id = world.Schedule.Id });
            Assert.DoesNotContain(await medplum.Server.RequestsAsync(), r => r.StartsWith("GET Schedule", StringComparison.Ordinal));
        }

        var changed = await a.QueryAsync("""
            mutation($input: SetAvailabilityInput!) { setAvailability(input: $input) { errors { __typename } } }
            """, new
        {
            input = new
            {
                scheduleId = world.Schedule.Id,
                timeZone = "UTC",
                availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY" }, startTime = "09:00", endTime = "12:00" } },
                slotMinutes = 45,
            },
        });
        Assert.Empty(changed.At("data.setAvailability.errors")!.AsArray());

        int? slotMinutes = null;
        for (var i = 0; i < 50 && slotMinutes != 45; i++)
        {
            slotMinutes = (await b.QueryAsync(ReadSchedule, new { id = world.Schedule.Id })).At("data.schedule.availability.slotMinutes")?.GetValue<int>();
            await Task.Delay(slotMinutes == 45 ? 0 : 20);
        }

        Assert.Equal(45, slotMinutes);

        // A booking writes only slots and appointments, which are never cached: the other instance sees it at once.
        await a.QueryAsync("mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { errors { __typename } } }",
            new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } });
        var slot = await b.QueryAsync("query($id: ID!) { slot(id: $id) { status } }", new { id = world.SlotId(0) });
        Assert.Equal("BUSY", slot.At("data.slot.status")!.GetValue<string>());
    }

    [Fact]
    public async Task With_Redis_killed_reads_still_succeed_promptly()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("Redis:Configuration", redis.Configuration)));
        var world = await BookingWorld.CreateAsync(medplum.Store);
        await gateway.QueryAsync(ReadSchedule, new { id = world.Schedule.Id });

        await redis.KillAsync();
        var other = await BookingWorld.CreateAsync(medplum.Store);
        foreach (var id in new[] { world.Schedule.Id, other.Schedule.Id, other.Schedule.Id })
        {
            var clock = Stopwatch.StartNew();
            var response = await gateway.QueryAsync(ReadSchedule, new { id });
            Assert.True(response["errors"] is null, response.ToJsonString());
            Assert.Equal(id, response.At("data.schedule.fhirId")!.GetValue<string>());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"a read took {clock.Elapsed.TotalMilliseconds:F0} ms with Redis down");
        }
    }
}
