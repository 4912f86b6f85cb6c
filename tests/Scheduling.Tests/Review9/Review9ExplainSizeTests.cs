using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Xunit.Abstractions;

namespace Scheduling.Tests.Review9;

/// <summary>explainAvailability is one unpaged list: a 1-minute alignment made a week of one schedule 10,047 items (review); it answers at most AvailabilitySearch.MaxExplained.</summary>
public sealed class Review9ExplainSizeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Explain_over_a_week_of_a_one_minute_grid_stays_bounded()
    {
        await using var gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings());
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 0);
        var admin = TestTokens.Scheduler();
        var created = await gateway.MutateAsync("createSchedule", "CreateScheduleInput",
            new { actorIds = new[] { "Practitioner/" + world.Practitioner.Id }, serviceTypes = new[] { "physiotherapy" }, timeZone = "UTC" }, "schedule { fhirId }", admin);
        var scheduleId = GraphQLMutations.Str(created, "schedule.fhirId");
        var set = await gateway.MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId,
            timeZone = "UTC",
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY" }, startTime = "08:00", endTime = "18:00" } },
            slotMinutes = 5,
            alignmentMinutes = 1,
        }, "schedule { fhirId }", admin);
        output.WriteLine(set.ToJsonString());

        var start = DateTimeOffset.UtcNow.AddHours(1);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var answer = await gateway.QueryAsync("query($input: ExplainAvailabilityInput!) { explainAvailability(input: $input) { start offered reasons slotIds } }",
            new { input = new { scheduleId, start = start.ToString("O"), end = start.AddDays(7).ToString("O"), durationMinutes = 5 } }, TestTokens.Patient(world.Patient.Id!));
        watch.Stop();
        var items = (answer.At("data.explainAvailability") as JsonArray)?.Count ?? -1;
        var bytes = answer.ToJsonString().Length;
        output.WriteLine($"items {items}, bytes {bytes}, wall {watch.ElapsedMilliseconds} ms, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds} ms; errors: {answer["errors"]?.ToJsonString()}");
        // A week of a one-minute grid (10,047 candidates, 2.1 MB, before) is refused, typed; a day of it is answered.
        Assert.Equal("BAD_USER_INPUT", answer.At("errors.0.extensions.code")?.GetValue<string>());
        Assert.Contains("candidate times", answer.At("errors.0.message")!.GetValue<string>(), StringComparison.Ordinal);
        var day = await gateway.QueryAsync("query($input: ExplainAvailabilityInput!) { explainAvailability(input: $input) { start offered } }",
            new { input = new { scheduleId, start = start.ToString("O"), end = start.AddDays(1).ToString("O"), durationMinutes = 5 } }, TestTokens.Patient(world.Patient.Id!));
        Assert.InRange((day.At("data.explainAvailability") as JsonArray)?.Count ?? -1, 1, Scheduling.Schema.Schedules.AvailabilitySearch.MaxExplained);
    }
}
