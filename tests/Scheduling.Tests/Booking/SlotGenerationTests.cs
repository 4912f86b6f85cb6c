using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>createSlots does bounded work: limits refused before any FHIR call, existing slots skipped exactly, writes batched.</summary>
public abstract class SlotGenerationTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    private const string CreateSlots = """
        mutation($input: CreateSlotsInput!) {
          createSlots(input: $input) { count skipped slots { start } errors { __typename ... on Error { code message } ... on ValidationError { field rule } } }
        }
        """;

    private static readonly string[] EveryDay = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"];

    [Fact]
    public async Task A_call_over_a_limit_is_refused_naming_the_limit_before_anything_is_read_or_written()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30);

        // Issue 10's finding: 92 days of 5-minute slots, 26,404 of them.
        var tooMany = await CallAsync(Input(world.Schedule.Id!, day, day.AddDays(91), "00:00", "23:59", 5));
        AssertRefused(tooMany, "MaxSlotsPerCall", "26404", "2000");
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Slot").Where("schedule", "Schedule/" + world.Schedule.Id), CancellationToken.None));

        // Refused from the input alone: a schedule that does not exist is not even looked up.
        AssertRefused(await CallAsync(Input("no-such-schedule", day, day.AddDays(91), "00:00", "23:59", 5)), "MaxSlotsPerCall", "26404");

        // A span over the limit, however few slots.
        AssertRefused(await CallAsync(Input("no-such-schedule", day, day.AddDays(92), "09:00", "10:00", 60)), "MaxDaysPerCall", "93", "92");
    }

    [Fact]
    public async Task Existing_slots_are_skipped_exactly_where_they_overlap_and_a_rerun_creates_nothing()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(20);
        var midnight = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        foreach (var (from, to, status) in new[] { (9.25, 9.75, Slot.SlotStatus.Free), (12.0, 14.0, Slot.SlotStatus.BusyUnavailable), (16.5, 16.5 + 1 / 60.0, Slot.SlotStatus.Busy) })
        {
            await Store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + world.Schedule.Id),
                Status = status,
                Start = midnight.AddHours(from),
                End = midnight.AddHours(to),
            }, CancellationToken.None);
        }

        var input = Input(world.Schedule.Id!, day, day, "09:00", "17:00", 30) with { timeZone = "UTC" };
        var first = await CallAsync(input);

        // 16 half hours; 09:00 and 09:30 overlap 09:15–09:45, 12:00 to 13:30 the block, 16:30 the one-minute slot.
        var starts = first["slots"]!.AsArray().Select(s => DateTimeOffset.Parse(s!["start"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(
            new[] { 10.0, 10.5, 11.0, 11.5, 14.0, 14.5, 15.0, 15.5, 16.0 }.Select(h => midnight.AddHours(h)),
            starts);
        Assert.Equal((9, 7), (first["count"]!.GetValue<int>(), first["skipped"]!.GetValue<int>()));

        var rerun = await CallAsync(input);
        Assert.Equal((0, 16), (rerun["count"]!.GetValue<int>(), rerun["skipped"]!.GetValue<int>()));
    }

    protected static CreateSlotsCall Input(string scheduleId, DateOnly from, DateOnly to, string startTime, string endTime, int slotMinutes) =>
        new(scheduleId, Day(from), Day(to), EveryDay, startTime, endTime, slotMinutes, null);

    protected async Task<JsonNode> CallAsync(CreateSlotsCall input, GatewayServer? gateway = null)
    {
        var answer = await (gateway ?? await GatewayAsync()).QueryAsync(CreateSlots, new { input });
        Assert.True(answer["errors"] is null, answer.ToJsonString());
        return answer.At("data.createSlots")!;
    }

    protected static void AssertRefused(JsonNode payload, string limit, params string[] mentioned)
    {
        Assert.Null(payload["count"]);
        var error = payload["errors"]![0]!;
        Assert.Equal(("ValidationError", "VALIDATION_FAILED", "to", limit),
            (error["__typename"]!.GetValue<string>(), error["code"]!.GetValue<string>(), error["field"]!.GetValue<string>(), error["rule"]!.GetValue<string>()));
        Assert.All(mentioned, m => Assert.Contains(m, error["message"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>CreateSlotsInput as the GraphQL variables carry it.</summary>
    protected sealed record CreateSlotsCall(
        string scheduleId, string from, string to, string[] daysOfWeek, string startTime, string endTime, int slotMinutes, string? timeZone);
}

public sealed class EmbeddedSlotGenerationTests(EmbeddedGatewayFixture fixture) : SlotGenerationTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>
{
    [Fact]
    public async Task The_limits_are_settings_checked_at_start_up()
    {
        await using var strict = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Scheduling:MaxSlotsPerCall"] = "20", ["Scheduling:MaxDaysPerCall"] = "7" });
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(40);
        AssertRefused(await CallAsync(Input("alice-smith-schedule", day, day.AddDays(1), "09:00", "17:00", 30), strict), "MaxSlotsPerCall", "32", "20");
        AssertRefused(await CallAsync(Input("alice-smith-schedule", day, day.AddDays(7), "09:00", "10:00", 60), strict), "MaxDaysPerCall", "8", "7");
        Assert.Equal(16, (await CallAsync(Input("alice-smith-schedule", day, day, "09:00", "17:00", 30), strict))["count"]!.GetValue<int>());

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            GatewayServer.StartAsync(new Dictionary<string, string?> { ["Scheduling:MaxSlotsPerCall"] = "0" }));
        Assert.Contains("MaxSlotsPerCall", refused.Message, StringComparison.Ordinal);
    }
}

[Collection(MedplumCollection.Name)]
public sealed class MedplumSlotGenerationTests(MedplumFixture medplum) : SlotGenerationTests(medplum.Compensating)
{
    [Fact]
    public async Task With_transactions_slots_are_written_in_bundles_of_the_batch_size()
    {
        var gateway = await GatewayAsync(("Fhir:UseTransactions", "true"), ("Scheduling:WriteBatchSize", "100"));
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(25);

        await medplum.Server.ResetCountsAsync();
        var created = await CallAsync(Input(world.Schedule.Id!, day, day, "00:00", "20:50", 5) with { timeZone = "UTC" }, gateway);

        Assert.Equal(250, created["count"]!.GetValue<int>());
        var requests = await medplum.Server.RequestsAsync();
        Assert.DoesNotContain(requests, r => r.StartsWith("POST Slot", StringComparison.Ordinal));
        // Three transaction Bundles; the schedule's slots guard is created once on first use (POST Basic).
        Assert.Equal(3, requests.Count(r => r.StartsWith("POST", StringComparison.Ordinal) && !r.StartsWith("POST Basic", StringComparison.Ordinal)));
        Assert.Equal(250, (await Store.SearchAllAsync(new FhirQuery("Slot").Where("schedule", "Schedule/" + world.Schedule.Id), CancellationToken.None)).Count);
    }
}
