using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Capacity, in one place: a slot's seats (<see cref="GatewayProfile.CapacityExtension"/>, 1 when absent), who sits in
/// them, what status they leave the slot in, and the write of every seat change. The seats taken are the standing
/// appointments holding the slot (<see cref="SlotHolding"/> decides which statuses hold; an expired hold holds no seat,
/// <see cref="StandingTime"/>). A slot with seats stays FREE while one is left and becomes BUSY (BUSY_TENTATIVE when
/// only holds fill it) with its last; giving any seat back makes it FREE again. An <c>overbooked</c> slot takes one
/// booking beyond its capacity, for callers allowed to overbook (<see cref="Authorization.SchedulingAccess.CanOverbook"/>).
/// Appointments that share one such slot take no time from each other (<see cref="BusyTime"/>); any other overlap does.
/// </summary>
public static class SlotSeats
{
    /// <summary>The most seats a slot or a rule may have.</summary>
    public const int MaxCapacity = 1000;

    /// <summary>The ValidationError rule of a capacity out of range.</summary>
    public const string CapacityRule = "capacity";

    public static int Capacity(Slot slot) => GatewayProfile.CapacityOf(slot);

    /// <summary>A capacity given in an input: 1 when absent, else 1 to <see cref="MaxCapacity"/> (a typed ValidationError otherwise).</summary>
    public static int CheckedCapacity(int? capacity) =>
        capacity is null or (>= 1 and <= MaxCapacity) ? capacity ?? 1
        : throw new SchedulingException(new ValidationError($"'capacity' must be between 1 and {MaxCapacity}.", "capacity", CapacityRule));

    /// <summary>The extensions a new slot of this capacity carries: none for one seat.</summary>
    public static IEnumerable<Extension> CapacityExtensions(int capacity) =>
        capacity > 1 ? [new Extension(GatewayProfile.CapacityExtension, new PositiveInt(capacity))] : [];

    /// <summary>Whether seats are counted on the slot: more than one, or marked overbooked (FHIR: it may take more than it was meant to).</summary>
    public static bool IsShared(Slot slot) => slot is not null && (Capacity(slot) > 1 || slot.Overbooked == true);

    /// <summary>How many standing appointments the slot may take for this caller: its capacity, one more on an overbooked slot for those who may overbook.</summary>
    public static int Limit(Slot slot, bool mayOverbook)
    {
        ArgumentNullException.ThrowIfNull(slot);
        return Capacity(slot) + (slot.Overbooked == true && mayOverbook ? 1 : 0);
    }

    /// <summary>Whether the appointment holds this slot (its status holds slots and it names the slot).</summary>
    public static bool Holds(Appointment appointment, string? slotId) =>
        slotId is not null && SlotHolding.HoldsItsSlots(appointment) && SlotIds(appointment).Contains(slotId);

    /// <summary>The seats taken on a slot: the standing appointments among these that hold it.</summary>
    public static IReadOnlyList<Appointment> Seated(string slotId, IEnumerable<Appointment> appointments, DateTimeOffset now) =>
        [.. (appointments ?? []).DistinctBy(a => a.Id).Where(a => Holds(a, slotId) && StandingTime.Stands(a, now))];

    /// <summary>Seats left within the slot's capacity (never negative; an overbooked slot's extra seat is not shown as left).</summary>
    public static int SeatsLeft(Slot slot, IEnumerable<Appointment> appointments, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(slot);
        return slot.Id is null ? Capacity(slot) : Math.Max(0, Capacity(slot) - Seated(slot.Id, appointments, now).Count);
    }

    /// <summary>
    /// The status its holders leave a slot in: FREE while fewer than its capacity hold it, else BUSY when any holder's
    /// status maps to BUSY, BUSY_TENTATIVE when only holds fill it (for a one-seat slot: its holder's, <see cref="SlotHolding"/>).
    /// </summary>
    public static SlotStatus StatusWith(Slot slot, IEnumerable<Appointment> holders)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var held = (holders ?? []).Where(a => Holds(a, slot.Id)).DistinctBy(a => a.Id).ToList();
        return held.Count < Capacity(slot) ? SlotStatus.Free
            : held.Any(a => SlotHolding.SlotStatusFor(a) == SlotStatus.Busy) ? SlotStatus.Busy
            : SlotStatus.BusyTentative;
    }

    /// <summary>
    /// The slot as these holders leave it (<see cref="StatusWith"/>), written with If-Match; a slot with seats also
    /// gets a new <see cref="GatewayProfile.SeatsChangeExtension"/>, so that every seat change is a new version even
    /// when its status stays FREE, and concurrent changes of its seats race.
    /// </summary>
    public static FhirWrite Write(Slot slot, IEnumerable<Appointment> holders)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var changed = (Slot)slot.DeepCopy();
        changed.Status = StatusWith(slot, holders);
        if (IsShared(slot))
        {
            changed.RemoveExtension(GatewayProfile.SeatsChangeExtension);
            changed.Extension.Add(new Extension(GatewayProfile.SeatsChangeExtension, new FhirString(Guid.NewGuid().ToString("N"))));
        }

        return FhirWrite.Update(slot, changed);
    }

    /// <summary>Whether a write of the slot for these holders is needed: a slot with seats always (its seats changed), another when its status changes.</summary>
    public static bool NeedsWrite(Slot slot, IEnumerable<Appointment> holders) =>
        IsShared(slot) || slot?.Status != StatusWith(slot!, holders);

    /// <summary>Whether the appointment sits only on these slots with seats: it takes no time from another seat on them.</summary>
    public static bool SharesSeats(Appointment appointment, IReadOnlySet<string> sharedSlotIds)
    {
        ArgumentNullException.ThrowIfNull(sharedSlotIds);
        var ids = SlotIds(appointment).ToList();
        return ids.Count > 0 && ids.All(sharedSlotIds.Contains);
    }

    private static IEnumerable<string> SlotIds(Appointment appointment) =>
        (appointment?.Slot ?? []).Select(FhirReference.From).OfType<FhirReference>().Where(r => r.ResourceType == "Slot").Select(r => r.Id);
}
