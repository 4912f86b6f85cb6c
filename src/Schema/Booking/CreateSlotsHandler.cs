using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Schedules;

/// <summary>
/// createSlots: free slots generated from a rule over a date range, skipping times a slot already covers. Its work is
/// bounded before it starts: the input alone says how many days and slots a call spans, and a call over
/// <see cref="SlotGenerationOptions"/> is refused before anything is read. Then one search for the existing slots of
/// the span, a sweep over both sorted lists (n log n, not candidates × existing), and writes in transaction Bundles
/// of <see cref="SlotGenerationOptions.WriteBatchSize"/> (or a bounded number of creates in flight).
/// </summary>
public sealed class SlotGeneration(
    ScheduleManagement management,
    IFhirStore store,
    IOptions<FhirOptions> fhir,
    IOptions<SlotGenerationOptions> options)
{
    public async Task<CreatedSlots> CreateSlotsAsync(CreateSlotsInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        management.RequireManagerRole();
        var (firstDay, lastDay, window) = Validate(input, options.Value);

        var schedule = await management.ReadToManageAsync(input.ScheduleId, cancellationToken);
        var zoneId = input.TimeZone ?? GatewayProfile.TimeZoneOf(schedule) ?? "UTC";
        ScheduleManagement.RequireTimeZone(zoneId);
        var rule = new AvailabilityRule(zoneId, [window], [], input.SlotMinutes, 0, 0, input.SlotMinutes);
        var zone = rule.Zone;
        var fromLocal = firstDay.ToDateTime(TimeOnly.MinValue);
        var from = new DateTimeOffset(fromLocal, zone.GetUtcOffset(fromLocal));
        var toLocal = lastDay.AddDays(1).ToDateTime(TimeOnly.MinValue);
        var to = new DateTimeOffset(toLocal, zone.GetUtcOffset(toLocal));

        var existing = await store.SearchAllAsync<Slot>(
            FhirQuery.For<Slot>().Where("schedule", "Schedule/" + schedule.Id).WhereDate("start", "ge", from.AddDays(-1)).WhereDate("start", "lt", to),
            cancellationToken);
        var candidates = rule.Offer(from, to, input.SlotMinutes, []).ToList();
        var fresh = Uncovered(candidates, existing);

        Slot NewSlot((DateTimeOffset Start, DateTimeOffset End) time) => new()
        {
            Schedule = new ResourceReference("Schedule/" + schedule.Id),
            Status = SlotStatus.Free,
            Start = time.Start,
            End = time.End,
            ServiceType = [.. schedule.ServiceType.Select(t => (CodeableConcept)t.DeepCopy())],
        };

        var created = await WriteAsync(fresh, NewSlot, cancellationToken);
        return new CreatedSlots(created.Count, candidates.Count - fresh.Count, [.. created.OrderBy(s => s.Start)]);
    }

    /// <summary>Everything that can be checked from the input alone, the limits included: no FHIR call yet.</summary>
    private static (DateOnly First, DateOnly Last, AvailableTime Window) Validate(CreateSlotsInput input, SlotGenerationOptions limits)
    {
        if (!DateOnly.TryParseExact(input.From, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var firstDay) ||
            !DateOnly.TryParseExact(input.To, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var lastDay) ||
            lastDay < firstDay)
        {
            throw Fail("'from' and 'to' must be dates (YYYY-MM-DD), 'to' not before 'from'.", "from");
        }

        var days = lastDay.DayNumber - firstDay.DayNumber + 1;
        if (days > limits.MaxDaysPerCall)
        {
            throw Fail($"'from' to 'to' spans {days} days; one call may span at most {limits.MaxDaysPerCall} days. Split the range.", "to", nameof(limits.MaxDaysPerCall));
        }

        if (input.SlotMinutes is < 5 or > 480)
        {
            throw Fail("'slotMinutes' must be between 5 and 480.", "slotMinutes");
        }

        var window = new AvailableTime([.. input.DaysOfWeek.Distinct()],
            ScheduleManagement.ParseTime(input.StartTime, "startTime"), ScheduleManagement.ParseTime(input.EndTime, "endTime"));
        if (window.DaysOfWeek.Count == 0 || window.EndTime <= window.StartTime)
        {
            throw Fail("Give days of week and an end time after the start time.", "daysOfWeek");
        }

        if (input.TimeZone is { } zone)
        {
            ScheduleManagement.RequireTimeZone(zone);
        }

        // At most this many: a daylight-saving change can only take wall-clock times away.
        var perDay = (long)((window.EndTime - window.StartTime).TotalMinutes / input.SlotMinutes);
        var matchingDays = Enumerable.Range(0, days).Count(d => window.DaysOfWeek.Contains(firstDay.AddDays(d).DayOfWeek));
        var slots = perDay * matchingDays;
        if (slots > limits.MaxSlotsPerCall)
        {
            throw Fail($"This call would generate up to {slots} slots; one call may generate at most {limits.MaxSlotsPerCall}. Use a shorter range or longer slots.",
                "to", nameof(limits.MaxSlotsPerCall));
        }

        return (firstDay, lastDay, window);
    }

    /// <summary>
    /// The candidates no existing slot overlaps. Candidates sorted by end, existing slots by start: the existing
    /// slots starting before a candidate's end are a growing prefix, and the candidate is covered exactly when the
    /// latest end in that prefix is after its start.
    /// </summary>
    internal static List<(DateTimeOffset Start, DateTimeOffset End)> Uncovered(
        IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> candidates, IEnumerable<Slot> existing)
    {
        var taken = existing.Where(s => s.Start is not null && s.End is not null)
            .Select(s => (Start: s.Start!.Value, End: s.End!.Value))
            .OrderBy(s => s.Start)
            .ToList();
        var fresh = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        var next = 0;
        var latestEnd = DateTimeOffset.MinValue;
        foreach (var candidate in candidates.OrderBy(c => c.End))
        {
            while (next < taken.Count && taken[next].Start < candidate.End)
            {
                latestEnd = taken[next].End > latestEnd ? taken[next].End : latestEnd;
                next++;
            }

            if (latestEnd <= candidate.Start)
            {
                fresh.Add(candidate);
            }
        }

        return fresh;
    }

    /// <summary>
    /// Transaction Bundles of a bounded size where the server does transactions, else a bounded number of creates in
    /// flight; each slot is built only when its write is due.
    /// </summary>
    private async Task<List<Slot>> WriteAsync(
        List<(DateTimeOffset Start, DateTimeOffset End)> times, Func<(DateTimeOffset Start, DateTimeOffset End), Slot> slot, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var created = new List<Slot>(times.Count);
        if (fhir.Value.UsesTransactions)
        {
            foreach (var batch in times.Chunk(limits.WriteBatchSize))
            {
                created.AddRange((await store.TransactionAsync([.. batch.Select(t => FhirWrite.Create(slot(t)))], cancellationToken)).OfType<Slot>());
            }

            return created;
        }

        var results = new Slot[times.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, times.Count),
            new ParallelOptions { MaxDegreeOfParallelism = limits.ParallelWrites, CancellationToken = cancellationToken },
            async (i, token) => results[i] = await store.CreateAsync(slot(times[i]), token));
        created.AddRange(results);
        return created;
    }

    private static SchedulingException Fail(string message, string field, string? limit = null) => new(new ValidationError(message, field, limit));
}
