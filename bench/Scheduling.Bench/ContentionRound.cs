using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>One way many clients book at once; each round gets a fresh schedule on days of its own.</summary>
public enum Contention
{
    /// <summary>Every client books its own 30-minute slot of one practitioner: no two want the same time.</summary>
    DistinctSlots,

    /// <summary>Every client books the same slot: one may win.</summary>
    SameSlot,

    /// <summary>Clients book 60-minute rule options starting every 30 minutes (09:00–10:00, 09:30–10:30, ...): winners must not overlap.</summary>
    OverlappingRuleOptions,
}

/// <summary>A gateway version under test: its processes and the people it books for.</summary>
public sealed record BenchedVersion(string Name, IReadOnlyList<GatewayProcess> Gateways, string PractitionerId, string LocationId, IReadOnlyList<string> PatientIds);

/// <summary>One round: a schedule made through the version's own API (untimed), then every client released at once.</summary>
public static class ContentionRound
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id start end } errors { ... on Error { code } } } }
        """;

    private const string AllDays = "MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY SUNDAY";

    public sealed record Outcome(string? AppointmentId, DateTimeOffset? Start, DateTimeOffset? End, string? ErrorCode, TimeSpan Elapsed, int? FhirRequests);

    public sealed record Result(IReadOnlyList<Outcome> Outcomes, TimeSpan Wall, string Check);

    public static async Task<Result> RunAsync(BenchedVersion version, Contention contention, int clients, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(version);
        var choices = await SeedAsync(version, contention, clients, day);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, clients).Select(async i =>
        {
            await start.Task;
            var clock = Stopwatch.StartNew();
            var answer = await version.Gateways[i % version.Gateways.Count].QueryAsync(Book, new
            {
                input = new { slotIds = new[] { choices[i % choices.Count] }, patientId = version.PatientIds[i % version.PatientIds.Count] },
            });
            var payload = answer.Body.At("data.bookAppointment");
            return new Outcome(
                payload.At("appointment.id")?.GetValue<string>(),
                Time(payload.At("appointment.start")),
                Time(payload.At("appointment.end")),
                payload.At("errors.0.code")?.GetValue<string>() ?? answer.Body.At("errors.0.message")?.GetValue<string>(),
                clock.Elapsed,
                answer.FhirRequests);
        }).ToList();
        var wall = Stopwatch.StartNew();
        start.SetResult();
        var outcomes = await Task.WhenAll(attempts);
        return new Result(outcomes, wall.Elapsed, Check(contention, outcomes, clients));
    }

    /// <summary>What the round should show: every distinct slot booked, one winner for one slot, no overlapping winners.</summary>
    private static string Check(Contention contention, IReadOnlyList<Outcome> outcomes, int clients)
    {
        var won = outcomes.Where(o => o.AppointmentId is not null).ToList();
        var odd = outcomes.Where(o => o.AppointmentId is null && o.ErrorCode != "SLOT_UNAVAILABLE").GroupBy(o => o.ErrorCode ?? "no answer");
        var oddText = string.Concat(odd.Select(g => $", {g.Count()} × {g.Key}"));
        switch (contention)
        {
            case Contention.DistinctSlots:
                return (won.Count == clients ? "all booked" : $"{won.Count} of {clients} booked") + oddText;
            case Contention.SameSlot:
                return (won.Count == 1 ? "one winner" : $"{won.Count} winners") + oddText;
            default:
                var overlaps = won.SelectMany((a, i) => won.Skip(i + 1).Where(b => a.Start < b.End && b.Start < a.End)).Count();
                return (overlaps == 0 ? $"{won.Count} winners, no overlap" : $"{won.Count} winners, {overlaps} OVERLAPPING") + oddText;
        }
    }

    /// <summary>The slot ids the clients book (client i books choice i % count).</summary>
    private static async Task<IReadOnlyList<string>> SeedAsync(BenchedVersion version, Contention contention, int clients, DateOnly day)
    {
        var gateway = version.Gateways[0];
        var scheduleId = (await MutateAsync(gateway, "createSchedule", "CreateScheduleInput", new
        {
            actorIds = new[] { "Practitioner/" + version.PractitionerId, "Location/" + version.LocationId },
            timeZone = "UTC",
        }, "schedule { id }")).At("schedule.id")!.GetValue<string>();
        var from = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        if (contention == Contention.OverlappingRuleOptions)
        {
            await MutateAsync(gateway, "setAvailability", "SetAvailabilityInput", new
            {
                scheduleId,
                timeZone = "UTC",
                availableTimes = new[] { new { daysOfWeek = AllDays.Split(' '), startTime = "09:00", endTime = "13:00" } },
                slotMinutes = 60,
                alignmentMinutes = 30,
            }, "schedule { id }");
            return await OptionsAsync(gateway, scheduleId, from, from.AddDays(1), 60);
        }

        // 32 slots a day from 06:00 to 22:00 UTC, over as many days as the clients need.
        var days = contention == Contention.SameSlot ? 1 : (clients + 31) / 32;
        await MutateAsync(gateway, "createSlots", "CreateSlotsInput", new
        {
            scheduleId,
            from = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            to = day.AddDays(days - 1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            daysOfWeek = AllDays.Split(' '),
            startTime = "06:00",
            endTime = contention == Contention.SameSlot ? "06:30" : "22:00",
            slotMinutes = 30,
            timeZone = "UTC",
        }, "count");
        return await OptionsAsync(gateway, scheduleId, from, from.AddDays(days), 30);
    }

    private static async Task<IReadOnlyList<string>> OptionsAsync(GatewayProcess gateway, string scheduleId, DateTime from, DateTime to, int minutes)
    {
        var answer = await gateway.QueryAsync(
            "query($input: AvailabilityInput!) { availability(input: $input, first: 1000) { nodes { slotIds } } }",
            new { input = new { scheduleIds = new[] { scheduleId }, start = Iso(from), end = Iso(to), durationMinutes = minutes } });
        var nodes = answer.Body.At("data.availability.nodes") as JsonArray ?? throw new InvalidOperationException("no availability: " + answer.Body.ToJsonString());
        var ids = nodes.Select(n => n.At("slotIds.0")!.GetValue<string>()).ToList();
        return ids.Count > 0 ? ids : throw new InvalidOperationException("nothing offered on " + scheduleId);
    }

    private static async Task<JsonNode> MutateAsync(GatewayProcess gateway, string field, string inputType, object input, string selection)
    {
        var answer = await gateway.QueryAsync(
            $"mutation($input: {inputType}!) {{ {field}(input: $input) {{ {selection} errors {{ ... on Error {{ code message }} }} }} }}", new { input });
        var payload = answer.Body.At("data." + field);
        return payload is not null && payload.At("errors.0") is null ? payload
            : throw new InvalidOperationException($"{field} failed: {answer.Body.ToJsonString()}");
    }

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(JsonNode? node) =>
        node is null ? null : DateTimeOffset.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture);
}
