using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// createSlots: free slots generated from a rule over a date range, skipping times a slot already covers, on an
/// active schedule and inside its planning horizon, in the schedule's time zone unless the input names one. Its
/// work is bounded before it starts: the input alone says how many days and slots a call spans, and a call over
/// <see cref="SlotGenerationOptions"/> is refused before anything is read. Then one search for the existing slots
/// of the span, a sweep over both sorted lists (n log n, not candidates × existing), and changes of at most
/// <see cref="SlotGenerationOptions.WriteBatchSize"/> slots, each claiming the schedule's slots guard last
/// (<see cref="ScheduleChanges.SlotsGuardKey"/>): a block made meanwhile makes the next change read again, so no
/// slot is left free under it.
/// </summary>
public sealed class CreateSlotsHandler(ScheduleChanges changes, IOptions<SlotGenerationOptions> options)
{
    public async Task<CreatedSlots> CreateSlotsAsync(CreateSlotsInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        changes.RequireManagerRole();
        var (firstDay, lastDay, window) = Validate(input, options.Value);
        var capacity = SlotSeats.CheckedCapacity(input.Capacity);

        var schedule = await changes.ReadToManageAsync(input.ScheduleId, cancellationToken);
        if (!BookingChecks.IsActive(schedule))
        {
            throw Fail($"Schedule '{schedule.Id}' is not active.", "scheduleId", BookingChecks.ActiveScheduleRule);
        }

        var zoneId = input.TimeZone ?? GatewayProfile.TimeZoneOf(schedule) ?? "UTC";
        ScheduleInputChecks.RequireTimeZone(zoneId);
        var rule = new AvailabilityRule(zoneId, [window], [], input.SlotMinutes, 0, 0, input.SlotMinutes);
        var zone = rule.Zone;
        var fromLocal = firstDay.ToDateTime(TimeOnly.MinValue);
        var from = new DateTimeOffset(fromLocal, zone.GetUtcOffset(fromLocal));
        var toLocal = lastDay.AddDays(1).ToDateTime(TimeOnly.MinValue);
        var to = new DateTimeOffset(toLocal, zone.GetUtcOffset(toLocal));
        var candidates = rule.Offer(from, to, input.SlotMinutes, []).OrderBy(c => c.Start).ToList();
        // Invariant 4 for every slot, as booking checks it (one place): a past candidate comes first, so it names 'from'.
        var now = changes.Now;
        foreach (var candidate in candidates.Select(c => new TimeRange(c.Start, c.End)))
        {
            if (BookingChecks.BrokenTimeRule(schedule, candidate, now) is { } broken)
            {
                var field = broken == BookingChecks.PlanningHorizonRule && candidate.Start >= from.AddDays(1) ? "to" : "from";
                var refused = BookingChecks.TimeRuleError(broken, schedule, candidate, field);
                throw new SchedulingException(refused with { Message = refused.Message + " No slot was created." });
            }
        }

        Slot NewSlot((DateTimeOffset Start, DateTimeOffset End) time) => new()
        {
            Schedule = new ResourceReference("Schedule/" + schedule.Id),
            Status = SlotStatus.Free,
            Start = time.Start,
            End = time.End,
            ServiceType = [.. schedule.ServiceType.Select(t => (CodeableConcept)t.DeepCopy())],
            Extension = [.. SlotSeats.CapacityExtensions(capacity)],
        };

        var created = new List<Slot>(candidates.Count);
        await changes.RetryingAsync(() => WriteAsync(schedule, candidates, to, NewSlot, created, cancellationToken),
            $"The schedule's slots kept changing meanwhile; {created.Count} slots were created before it gave up. Run it again to fill the rest.",
            cancellationToken);
        return new CreatedSlots(created.Count, candidates.Count - created.Count, [.. created.OrderBy(s => s.Start)]);
    }

    /// <summary>
    /// One attempt: the guard, then the slots from where earlier attempts got to, then the uncovered candidates batch
    /// by batch, each change claiming the guard at the version the previous one left. Overtaken, it throws and the
    /// next attempt reads again; what earlier changes created stays in <paramref name="created"/>.
    /// </summary>
    private async Task<bool> WriteAsync(
        Schedule schedule,
        List<(DateTimeOffset Start, DateTimeOffset End)> candidates,
        DateTimeOffset to,
        Func<(DateTimeOffset Start, DateTimeOffset End), Slot> slot,
        List<Slot> created,
        CancellationToken cancellationToken)
    {
        var resumeAt = created.Count == 0 ? DateTimeOffset.MinValue : created.Max(s => s.End!.Value);
        var rest = candidates.Where(c => c.Start >= resumeAt).ToList();
        if (rest.Count == 0)
        {
            return true;
        }

        var span = new TimeRange(rest[0].Start, to);
        IReadOnlyList<Basic> guards = await changes.Guards.ReadAsync([], span, [ScheduleChanges.SlotsGuardKey(schedule.Id!)], cancellationToken);
        var existing = await changes.Store.SearchAllAsync<Slot>(SlotSearches.Overlapping([schedule.Id!], span.Start, span.End), cancellationToken);
        foreach (var batch in Uncovered(rest, existing).Chunk(options.Value.WriteBatchSize))
        {
            List<FhirWrite> writes = [.. batch.Select(t => FhirWrite.Create(slot(t))), .. SpanGuards.Claim(guards)];
            var written = await changes.ApplyAsync(writes, cancellationToken);
            created.AddRange(written.OfType<Slot>());
            guards = [.. written.OfType<Basic>()];
        }

        return true;
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
            ScheduleInputChecks.ParseTime(input.StartTime, "startTime"), ScheduleInputChecks.ParseTime(input.EndTime, "endTime"));
        if (window.DaysOfWeek.Count == 0 || window.EndTime <= window.StartTime)
        {
            throw Fail("Give days of week and an end time after the start time.", "daysOfWeek");
        }

        if (input.TimeZone is { } zone)
        {
            ScheduleInputChecks.RequireTimeZone(zone);
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

    private static SchedulingException Fail(string message, string field, string? limit = null) => new(new ValidationError(message, field, limit));
}
