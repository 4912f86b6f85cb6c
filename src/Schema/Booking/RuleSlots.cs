using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Availability options computed from a schedule's rule, and the Slot each becomes when booked. A rule option
/// books exactly the span it offered: its Slot carries the option's id as identifier, so it is found (and
/// created once, conditionally) by that span, never by its start alone. Planned first, written only after every
/// check has passed.
/// </summary>
public sealed class RuleSlots(IFhirStore store)
{
    private const string Prefix = "avail:";

    public static string Id(string scheduleId, DateTimeOffset start, DateTimeOffset end) =>
        Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{scheduleId}|{start:O}|{end:O}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool IsRuleSlotId(string? slotId) => slotId?.StartsWith(Prefix, StringComparison.Ordinal) == true;

    public static bool TryParse(string slotId, out string scheduleId, out TimeRange span)
    {
        ArgumentNullException.ThrowIfNull(slotId);
        scheduleId = string.Empty;
        span = default;
        if (!IsRuleSlotId(slotId))
        {
            return false;
        }

        try
        {
            var text = slotId[Prefix.Length..].Replace('-', '+').Replace('_', '/');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='))).Split('|');
            if (parts.Length == 3 && FhirReference.IsValidId(parts[0]) &&
                DateTimeOffset.TryParseExact(parts[1], "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start) &&
                DateTimeOffset.TryParseExact(parts[2], "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end) && end > start)
            {
                scheduleId = parts[0];
                span = new TimeRange(start, end);
                return true;
            }

            return false;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// The unsaved Slot behind a rule option id of a schedule with a rule; null for anything that is not such an id.
    /// Whether the rule offers exactly that span is checked after authorization (<see cref="NotOffered"/>), busy
    /// time is the booking's own check. Writes nothing.
    /// </summary>
    public async Task<Slot?> PlanAsync(string slotId, CancellationToken cancellationToken)
    {
        if (!TryParse(slotId, out var scheduleId, out var span))
        {
            return null;
        }

        var schedule = await store.ReadAsync<Schedule>(scheduleId, cancellationToken);
        if (schedule is null || AvailabilityRule.FromSchedule(schedule) is not { } rule)
        {
            return null;
        }

        var planned = new Slot
        {
            Identifier = [new Identifier(GatewayProfile.RuleSlotSystem, slotId)],
            Schedule = new ResourceReference("Schedule/" + scheduleId),
            Status = Slot.SlotStatus.Free,
            Start = span.Start,
            End = span.End,
            ServiceType = [.. schedule.ServiceType.Select(c => (CodeableConcept)c.DeepCopy())],
            Extension = [.. SlotSeats.CapacityExtensions(rule.Capacity)],
        };
        if (!SlotSeats.IsShared(planned))
        {
            return planned;
        }

        // A rule with seats: the option's Slot, once made, is where its seats are counted, so it is planned as itself.
        var made = await store.SearchAllAsync<Slot>(SlotSearches.ForRuleOption(slotId), cancellationToken);
        return made.FirstOrDefault(s => s.Start == span.Start && s.End == span.End) ?? planned;
    }

    /// <summary>
    /// Writes a planned Slot once (conditional create on its option id) and returns the one that exists; a Slot
    /// already there for that exact span is reused if still free (with seats, it was planned as itself: one made
    /// meanwhile is a lost race).
    /// </summary>
    public async Task<Slot> MaterializeAsync(Slot planned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planned);
        var optionId = planned.Identifier.Single(i => i.System == GatewayProfile.RuleSlotSystem).Value ?? string.Empty;
        var (slot, created) = await store.CreateIfNoneExistAsync(planned, SlotSearches.ForRuleOption(optionId), cancellationToken);
        if (!created && SlotSeats.IsShared(planned))
        {
            // Made by another booking since this one planned it: its seats were not counted here; plan again.
            throw new ContendedException(new InvalidOperationException("The rule option's Slot was made meanwhile."));
        }

        return slot.Status == Slot.SlotStatus.Free && slot.Start == planned.Start && slot.End == planned.End
            ? slot
            : throw new SchedulingException(new SlotUnavailableError("That time is no longer available.", [optionId]));
    }

    /// <summary>The client ids of the planned (unsaved) rule slots whose span the schedule's rule does not offer exactly.</summary>
    public static IReadOnlyList<string> NotOffered(Schedule schedule, IEnumerable<Slot> slots)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var rule = AvailabilityRule.FromSchedule(schedule);
        return
        [
            .. (slots ?? []).Where(s => s.Id is null)
                .Where(s => rule is null || s.Start is not { } start || s.End is not { } end ||
                    !rule.Offer(start, end, (int)(end - start).TotalMinutes, []).Any(o => o.Start == start && o.End == end))
                .Select(ClientId),
        ];
    }

    /// <summary>The option id a client used for this slot (its rule option id for a rule Slot), for error messages.</summary>
    public static string ClientId(Slot slot) =>
        slot?.Id ?? slot?.Identifier.FirstOrDefault(i => i.System == GatewayProfile.RuleSlotSystem)?.Value ?? string.Empty;
}
