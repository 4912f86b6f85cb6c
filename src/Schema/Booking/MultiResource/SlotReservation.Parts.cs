using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// A booking time taking several schedules at once (a surgeon, a room and a device): one part per schedule, each
/// part's slots contiguous, every part over the same span. One schedule is one part, planned exactly as before.
/// </summary>
public sealed partial class SlotReservation
{
    /// <summary>The most schedules one booking takes at once.</summary>
    public const int MaxParts = 8;

    /// <summary>The ValidationError rule of parts that do not cover one span.</summary>
    public const string SameSpanRule = "same-span";

    /// <summary>
    /// The slots of a booking time, one list per schedule (in the order of the option's schedules, or of the
    /// schedules' ids for slot ids): a multi-part option's parts each planned as a one-schedule option; slot ids
    /// grouped by their schedule. Writes nothing and judges no status, as <see cref="PlanAsync(BookingTime, CancellationToken)"/>.
    /// </summary>
    public async Task<IReadOnlyList<List<Slot>>> PlanPartsAsync(BookingTime time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (time.Option is { IsMultiPart: true } option)
        {
            var planned = new List<List<Slot>>();
            foreach (var part in option.Parts)
            {
                planned.Add(await PlanAsync(new BookingTime(null, part), cancellationToken));
            }

            return planned;
        }

        if (time.Option is not null)
        {
            return [await PlanAsync(time, cancellationToken)];
        }

        var slots = await ResolveAsync(time.SlotIds ?? [], cancellationToken);
        var bySchedule = slots.GroupBy(s => FhirReference.From(s.Schedule)?.Id ?? string.Empty).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (bySchedule.Count == 1)
        {
            return [Contiguous(slots)];
        }

        if (bySchedule.Count > MaxParts)
        {
            throw Fail(new ValidationError($"One booking takes at most {MaxParts} schedules at once.", "slotIds"));
        }

        return SameSpan([.. bySchedule.Select(Contiguous)]);
    }

    /// <summary>Parts that all cover one span exactly (a typed refusal otherwise).</summary>
    private static List<List<Slot>> SameSpan(List<List<Slot>> parts)
    {
        var span = SpanOf(parts[0]);
        return parts.All(p => SpanOf(p) == span) ? parts
            : throw Fail(new ValidationError("The slots of each schedule must cover the same time: a booking on several schedules takes each one for its whole span.", "slotIds", SameSpanRule));
    }

    /// <summary>The span of one part's contiguous slots.</summary>
    public static TimeRange SpanOf(IReadOnlyList<Slot> part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return new TimeRange(part[0].Start!.Value, part[^1].End!.Value);
    }
}
