using Hl7.Fhir.Model;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Blocked time, decided on time alone. A block is a busy-unavailable Slot over its span (no blocked-by mark); a
/// free Slot it overlaps is made busy-unavailable and marked (blocked-by). Blocks nest: a marked slot stays
/// unavailable as long as any standing block overlaps it, whichever block marked it, and unblocking frees only the
/// marked slots no other block overlaps and no active appointment holds.
/// </summary>
public static class BlockNesting
{
    /// <summary>A block: busy-unavailable and not itself made unavailable by another block.</summary>
    public static bool IsBlock(Slot slot) =>
        slot?.Status == SlotStatus.BusyUnavailable && slot.GetExtension(GatewayProfile.BlockedByExtension) is null;

    /// <summary>A slot a block made unavailable.</summary>
    public static bool IsMarked(Slot slot) =>
        slot?.Status == SlotStatus.BusyUnavailable && slot.GetExtension(GatewayProfile.BlockedByExtension) is not null;

    /// <summary>The slots standing in the way of a block: booked or held (an expired hold's slots are released first: <see cref="HoldExpiry.ReadPastExpiredHoldsAsync"/>).</summary>
    public static IReadOnlyList<Slot> Standing(TimeRange span, IEnumerable<Slot> slots) =>
        [.. (slots ?? []).Where(s => SlotHolding.IsTaken(s) && Overlaps(s, span))];

    /// <summary>The free slots a block over the span takes out.</summary>
    public static IReadOnlyList<Slot> ToMark(TimeRange span, IEnumerable<Slot> slots) =>
        [.. (slots ?? []).Where(s => s.Status == SlotStatus.Free && Overlaps(s, span))];

    /// <summary>
    /// What removing <paramref name="block"/> does to the schedule's slots: each marked slot it overlaps that no
    /// other block overlaps becomes free again, or, if an appointment holds it (<paramref name="held"/>:
    /// <see cref="SlotHolding.HeldSlots"/>), takes the status its holders leave it in. Marked slots another block still covers
    /// stay as they are.
    /// </summary>
    public static IReadOnlyList<(Slot Slot, SlotStatus Status)> Release(Slot block, IEnumerable<Slot> slots, IReadOnlyDictionary<string, SlotStatus> held)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(held);
        var all = (slots ?? []).ToList();
        if (TimeRange.Of(block.Start, block.End) is not { } span)
        {
            return [];
        }

        var others = all.Where(s => s.Id != block.Id && IsBlock(s)).Select(s => TimeRange.Of(s.Start, s.End)).OfType<TimeRange>().ToList();
        return
        [
            .. all.Where(s => IsMarked(s) && Overlaps(s, span))
                .Where(s => !others.Any(o => TimeRange.Of(s.Start, s.End) is { } time && o.Overlaps(time)))
                .Select(s => (s, s.Id is { } id && held.TryGetValue(id, out var status) ? status : SlotStatus.Free)),
        ];
    }

    private static bool Overlaps(Slot slot, TimeRange span) => TimeRange.Of(slot.Start, slot.End) is { } time && time.Overlaps(span);
}
