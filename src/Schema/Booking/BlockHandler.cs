using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// blockTime: one busy-unavailable Slot over the span and the free slots it overlaps made unavailable, as one change
/// that claims the schedule's actors' span guards last, so that a block and a booking of the same time serialize.
/// Refused while a booking or a hold stands in the span; another block there is fine (blocks nest).
/// </summary>
public sealed class BlockHandler(ScheduleChanges changes, HoldExpiry expiry)
{
    public async Task<Slot> BlockAsync(BlockTimeInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        changes.RequireManagerRole();
        if (input.End <= input.Start)
        {
            throw ScheduleChanges.Fail(new ValidationError("'end' must be after 'start'.", "end"));
        }

        var span = new TimeRange(input.Start, input.End);
        if (span.Length > SlotSearches.MaxSlotLength)
        {
            // Overlap searches look back this far (FHIR R4 Slot has no end parameter): a longer block would go unseen.
            throw ScheduleChanges.Fail(new ValidationError(
                $"A block may last at most {SlotSearches.MaxSlotLength.TotalDays:0} days; block longer time in parts.", "end", "max-block-length"));
        }

        var schedule = await changes.ReadToManageAsync(input.ScheduleId, cancellationToken);
        return await changes.RetryingAsync(() => BlockOnceAsync(schedule, span, input.Comment, cancellationToken),
            "Bookings kept changing this time while it was being blocked; nothing was blocked. Try again.", cancellationToken);
    }

    /// <summary>Slots with seats in the span that are FREE yet have someone sitting on them (<see cref="SlotSeats"/>): booked time all the same.</summary>
    private async Task<IReadOnlyList<Slot>> SeatedAsync(TimeRange span, IReadOnlyList<Slot> slots, CancellationToken cancellationToken)
    {
        var open = slots.Where(s => s.Id is not null && s.Status == SlotStatus.Free && SlotSeats.IsShared(s) && TimeRange.Of(s.Start, s.End) is { } time && time.Overlaps(span)).ToList();
        if (open.Count == 0)
        {
            return [];
        }

        var holders = await changes.Store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots(open.Select(s => s.Id!)), cancellationToken);
        return [.. open.Where(s => holders.Any(h => SlotSeats.Holds(h, s.Id)))];
    }

    private async Task<Slot> BlockOnceAsync(Schedule schedule, TimeRange span, string? comment, CancellationToken cancellationToken)
    {
        // The guards first, then the slots: a change that commits after this read changes a guard's version.
        var guards = await changes.Guards.ReadAsync(BookingChecks.Actors(schedule), span, [ScheduleChanges.SlotsGuardKey(schedule.Id!)], cancellationToken);
        var slots = await expiry.ReadPastExpiredHoldsAsync(() => changes.Store.SearchAllAsync<Slot>(SlotSearches.Overlapping([schedule.Id!], span.Start, span.End), cancellationToken), cancellationToken);
        if ((BlockNesting.Standing(span, slots) is { Count: > 0 } standing ? standing : await SeatedAsync(span, slots, cancellationToken)) is { Count: > 0 } booked)
        {
            throw ScheduleChanges.Fail(new ConflictError(
                $"The range has booked or held slots ({string.Join(", ", booked.Select(s => s.Id))}); cancel or move them first."));
        }

        var name = new Identifier(GatewayProfile.BlockSystem, Guid.NewGuid().ToString("N"));
        var writes = BlockNesting.ToMark(span, slots).Select(slot =>
        {
            var blocked = (Slot)slot.DeepCopy();
            blocked.Status = SlotStatus.BusyUnavailable;
            blocked.SetExtension(GatewayProfile.BlockedByExtension, new ResourceReference { Identifier = (Identifier)name.DeepCopy() });
            return FhirWrite.Update(slot, blocked);
        }).ToList();
        writes.Add(FhirWrite.Create(new Slot
        {
            Identifier = [name],
            Schedule = new ResourceReference("Schedule/" + schedule.Id),
            Status = SlotStatus.BusyUnavailable,
            Start = span.Start,
            End = span.End,
            Comment = comment ?? "Blocked",
        }));
        var blockAt = writes.Count - 1;
        writes.AddRange(SpanGuards.Claim(guards));
        return (Slot)(await changes.ApplyAsync(writes, cancellationToken))[blockAt];
    }
}
