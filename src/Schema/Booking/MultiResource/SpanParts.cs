using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking.MultiResource;

/// <summary>
/// A change taking time on several schedules at once (<see cref="SlotReservation.PlanPartsAsync"/>): every check of
/// <see cref="BookingChecks"/> runs once per part (its schedule's rights, horizon, slots, busy time and span guards
/// for each of its actors), the practitioners named must be actors of one of the parts' schedules, and the change
/// claims every part's guards once, last. One part is checked exactly as a one-schedule booking.
/// </summary>
public static class SpanParts
{
    /// <summary>
    /// Checks each part in turn with <paramref name="check"/> (given the part and the practitioners to ask its
    /// schedule about: all of them for a single part, none for several, which are asked about every part's schedules
    /// once all are read).
    /// </summary>
    public static async Task<IReadOnlyList<CheckedSpan>> CheckAllAsync(
        IReadOnlyList<List<Slot>> parts, IReadOnlyList<FhirReference> named, Func<List<Slot>, IReadOnlyList<FhirReference>, Task<CheckedSpan>> check)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(named);
        ArgumentNullException.ThrowIfNull(check);
        var checkedParts = new List<CheckedSpan>(parts.Count);
        foreach (var part in parts)
        {
            checkedParts.Add(await check(part, parts.Count == 1 ? named : []));
        }

        if (parts.Count > 1)
        {
            BookingChecks.RequireActorsOf(named, [.. checkedParts.Select(c => c.Schedule)]);
        }

        return checkedParts;
    }

    /// <summary>Every actor of the parts' schedules, in the parts' order, each once: the appointment's participants besides the patient.</summary>
    public static IReadOnlyList<FhirReference> Actors(IEnumerable<CheckedSpan> parts) =>
        [.. (parts ?? []).SelectMany(p => BookingChecks.Actors(p.Schedule)).Distinct()];

    /// <summary>
    /// Every part's guards, each once, as the earliest part read it (the patient's guard is read by every part: its
    /// first version is the one the rules were judged at; a change meanwhile makes the claim lose and the attempt retry).
    /// </summary>
    public static IReadOnlyList<Basic> Guards(IEnumerable<CheckedSpan> parts) =>
        [.. (parts ?? []).SelectMany(p => p.Guards).DistinctBy(g => g.Id)];

    /// <summary>The writes claiming every part's guards (<see cref="SpanGuards.Claim"/>), each once.</summary>
    public static IEnumerable<FhirWrite> GuardWrites(IEnumerable<CheckedSpan> parts) => SpanGuards.Claim(Guards(parts));
}
