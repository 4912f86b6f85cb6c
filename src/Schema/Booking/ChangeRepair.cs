using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>An appointment a repair puts back as it was before the interrupted change (<see cref="Current"/> read fresh, for If-Match).</summary>
public sealed record AppointmentRestore(Appointment Current, Appointment Previous);

/// <summary>A slot a repair writes back (<see cref="Current"/> read fresh, for If-Match) as <see cref="Target"/>: as it was before, or marked under a standing block.</summary>
public sealed record SlotRestore(Slot Current, Slot Target);

/// <summary>
/// What a repair of an interrupted change writes: appointments to restore, then to cancel, then slots to free; for a
/// schedule-side change, slots to delete (<see cref="Delete"/>, first: what it created, or the rest of an interrupted
/// deleteSlots, <see cref="SlotDeletionRepair"/>) and slots to put back (<see cref="SlotRestores"/>).
/// </summary>
public sealed record RepairPlan(
    IReadOnlyList<Appointment> Cancel,
    IReadOnlyList<Slot> Free,
    IReadOnlyList<AppointmentRestore>? Restore = null,
    IReadOnlyList<SlotRestore>? SlotRestore = null,
    IReadOnlyList<Slot>? Delete = null)
{
    public static readonly RepairPlan None = new([], []);

    public IReadOnlyList<AppointmentRestore> Restores => Restore ?? [];

    public IReadOnlyList<SlotRestore> SlotRestores => SlotRestore ?? [];

    public IReadOnlyList<Slot> Deletes => Delete ?? [];

    public bool IsEmpty => Cancel.Count == 0 && Free.Count == 0 && Restores.Count == 0 && SlotRestores.Count == 0 && Deletes.Count == 0;
}

/// <summary>
/// What a repair reads fresh about one interrupted change.
/// </summary>
/// <param name="ChangeId">The interrupted change.</param>
/// <param name="Planned">The writes its intent recorded, in order (empty for an intent recorded without them).</param>
/// <param name="LastWritten">Fresh: the resource of the last planned write (an update), or every resource of its type the change tagged (a create).</param>
/// <param name="Slots">Fresh: the slots the change tagged or planned to update, and the slots of the appointments it tagged.</param>
/// <param name="Appointments">Fresh: the appointments the change tagged.</param>
/// <param name="OnSlots">Fresh: every appointment (any status) that points to one of <paramref name="Slots"/>.</param>
/// <param name="LiveChanges">The ids of the other changes whose intent still stands: what they tagged is theirs to finish or repair.</param>
/// <param name="Previous">What the change updated, as its intent recorded it before (<see cref="ChangeRepair.ReadsPrevious"/>; empty for an older intent); the slots of its appointments are among <paramref name="Slots"/>.</param>
/// <param name="Blocks">Fresh, for a schedule-side change: the blocks overlapping its slots' time on their schedules.</param>
public sealed record ChangeState(
    string ChangeId,
    IReadOnlyList<PlannedWrite> Planned,
    IReadOnlyList<Resource> LastWritten,
    IReadOnlyList<Slot> Slots,
    IReadOnlyList<Appointment> Appointments,
    IReadOnlyList<Appointment> OnSlots,
    IReadOnlySet<string> LiveChanges,
    IReadOnlyList<Resource>? Previous = null,
    IReadOnlyList<Slot>? Blocks = null);

/// <summary>
/// The repair of a change whose instance died mid-way (or whose undo could not finish), decided from fresh reads
/// alone, whatever the change was (book, hold, reschedule, cancel). An intent that remains means the change never
/// answered success (or could not remove its intent after it did), so:
/// <list type="bullet">
/// <item>The change finished only if its LAST planned write landed (it still carries the change's tag; for a booking
/// that is its last span guard claim, see <see cref="SpanGuards"/>). Then it is kept and only the intent goes.</item>
/// <item>Otherwise it is undone as far as a fresh read allows: an active appointment the change created is cancelled
/// (its guards were never claimed, so a rival may hold the same time). One it moved to other slots (a reschedule) is
/// put back as it was before, when its intent recorded that and every slot it had then is still taken, untouched by
/// the change and held by no other appointment (then nobody can have taken its old time, and its new time, never
/// guarded, is given up); else it is cancelled. One it updated on the same slots is cancelled only if its slots are
/// not all taken (BUSY or BUSY_TENTATIVE) any more.</item>
/// <item>Every slot the change touched (tagged, planned to update, or referenced by an appointment it wrote: a
/// cancel's or a reschedule's old slots included) that is taken and that no appointment holds (an active one, or a
/// no-show or fulfilled one, whose time was used) is freed, unless another change still in flight wrote it last.</item>
/// <item>A schedule-side change (block, unblock, createSlots: it writes no appointment) is rolled back as
/// <see cref="ScheduleChangeRollback"/> decides: what it created and nobody wrote since is deleted, what it updated
/// and nobody wrote since goes back as it was, as far as the invariants allow. A deleteSlots one of whose deletes
/// landed is finished instead (<see cref="SlotDeletionRepair"/>).</item>
/// </list>
/// Every repair write is an If-Match on the version read, so what someone changed since stands.
/// A known limit: when another change overwrote the last write's resource before the repair looked, the change is
/// taken as unfinished and undone (safe for the invariants; its caller was only told of a success if removing the
/// intent failed after it).
/// </summary>
public static class ChangeRepair
{
    public static RepairPlan Decide(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (Finished(state))
        {
            return RepairPlan.None;
        }

        if (SlotDeletionRepair.Finishing(state) is { } finishing)
        {
            return finishing;
        }

        var intent = new IntentReading(state);
        var unfinished = Unfinished(state);
        var restore = ToRestore(state, intent, unfinished);
        var cancel = ToCancel(state, intent, unfinished, restore);
        var free = ToFree(state, cancel, restore);
        return IsScheduleSide(state.Planned) ? WithRollback(state, cancel, free, restore) : new RepairPlan(cancel, free, restore);
    }

    /// <summary>The active appointments the change wrote last (its tag): the ones it may have left half done.</summary>
    private static List<Appointment> Unfinished(ChangeState state) =>
        [.. state.Appointments.Where(a => ChangeIntent.IsTaggedBy(a, state.ChangeId) && AppointmentSearches.IsActive(a)).DistinctBy(a => a.Id)];

    /// <summary>
    /// The moved appointments (a reschedule) that go back to their slots of before: recorded by the intent, and
    /// every old slot still theirs alone (<see cref="Restorable"/>), so nobody can have taken that time.
    /// </summary>
    private static List<AppointmentRestore> ToRestore(ChangeState state, IntentReading intent, IEnumerable<Appointment> unfinished) =>
        [.. unfinished
            .Where(a => !intent.Created(a) && intent.Before(a) is { } before && Moved(before, a) && Restorable(before, state))
            .Select(a => new AppointmentRestore(a, intent.Before(a)!))];

    /// <summary>
    /// The unfinished appointments not restored that are cancelled: one the change created (its guards were never
    /// claimed, a rival may hold the same time), one without slots or with a slot no longer taken, and one it moved
    /// that cannot go back.
    /// </summary>
    private static List<Appointment> ToCancel(ChangeState state, IntentReading intent, IEnumerable<Appointment> unfinished, IReadOnlyList<AppointmentRestore> restore)
    {
        var restored = Ids(restore.Select(r => r.Current));
        var taken = state.Slots.Where(SlotHolding.IsTaken).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        return [.. unfinished
            .Where(a => !restored.Contains(a.Id))
            .Where(a => intent.Created(a) || a.Slot.Count == 0 || SlotIds(a).Any(id => !taken.Contains(id)) ||
                        (intent.Before(a) is { } before && Moved(before, a)))];
    }

    /// <summary>
    /// The slots the change touched that are taken and that no appointment holds once the repair is done
    /// (<see cref="SlotHolding"/>: the cancelled ones hold nothing, the restored ones their old slots), unless
    /// another change still in flight wrote them last.
    /// </summary>
    private static List<Slot> ToFree(ChangeState state, IReadOnlyList<Appointment> cancel, IReadOnlyList<AppointmentRestore> restore)
    {
        var gone = Ids(cancel.Concat(restore.Select(r => r.Current)));
        var held = state.OnSlots.Concat(state.Appointments)
            .Where(a => !gone.Contains(a.Id) && SlotHolding.HoldsItsSlots(a))
            .Concat(restore.Select(r => r.Previous))
            .SelectMany(SlotIds)
            .ToHashSet(StringComparer.Ordinal);
        return [.. state.Slots.Where(s => SlotHolding.IsTaken(s) && !held.Contains(s.Id!) && !WrittenByAnother(s, state)).DistinctBy(s => s.Id)];
    }

    /// <summary>A schedule-side change: its own rollback (<see cref="ScheduleChangeRollback"/>), and no slot freed that the rollback writes.</summary>
    private static RepairPlan WithRollback(ChangeState state, IReadOnlyList<Appointment> cancel, IReadOnlyList<Slot> free, IReadOnlyList<AppointmentRestore> restore)
    {
        var (slotRestores, delete) = ScheduleChangeRollback.Decide(state);
        var rolledBack = slotRestores.Select(r => r.Current.Id).Concat(delete.Select(d => d.Id)).ToHashSet(StringComparer.Ordinal);
        return new RepairPlan(cancel, [.. free.Where(s => !rolledBack.Contains(s.Id))], restore, slotRestores, delete);
    }

    private static HashSet<string?> Ids(IEnumerable<Appointment> appointments) => appointments.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);

    /// <summary>What the interrupted change's intent says: which resources it planned to update (the rest it created), and the appointments as they were before.</summary>
    private sealed class IntentReading(ChangeState state)
    {
        private readonly HashSet<string> _updated = Updated(state.Planned);

        private readonly Dictionary<string, Appointment> _previous = (state.Previous ?? []).OfType<Appointment>()
            .Where(p => p.Id is not null).DistinctBy(p => p.Id).ToDictionary(p => p.Id!, StringComparer.Ordinal);

        /// <summary>The change created this appointment (it planned no update of it).</summary>
        public bool Created(Appointment appointment) => state.Planned.Count > 0 && !_updated.Contains("Appointment/" + appointment.Id);

        /// <summary>The appointment as the intent recorded it before the change, if it did.</summary>
        public Appointment? Before(Appointment appointment) => _previous.GetValueOrDefault(appointment.Id!);
    }

    private static HashSet<string> Updated(IEnumerable<PlannedWrite> planned) =>
        planned.Where(p => !p.IsCreate).Select(p => p.ResourceType + "/" + p.Id).ToHashSet(StringComparer.Ordinal);

    /// <summary>A change of a schedule's slots alone (block, unblock, createSlots): it plans writes and none of them is an appointment.</summary>
    public static bool IsScheduleSide(IReadOnlyCollection<PlannedWrite> planned) =>
        planned is { Count: > 0 } && planned.All(p => p.ResourceType != "Appointment");

    /// <summary>
    /// Which updated resources an intent records as they were before, because a repair reads them: every appointment
    /// (a reschedule put back) and, in a schedule-side change, every slot (a block, an unblock rolled back). Guards
    /// and the slots of an appointment change are never put back, so they are not recorded.
    /// </summary>
    public static bool ReadsPrevious(string resourceType, bool scheduleSide) =>
        resourceType == "Appointment" || (scheduleSide && resourceType == "Slot");

    /// <summary>Whether the change moved the appointment to other slots (a reschedule).</summary>
    private static bool Moved(Appointment before, Appointment after) =>
        !SlotIds(before).ToHashSet(StringComparer.Ordinal).SetEquals(SlotIds(after));

    /// <summary>
    /// Whether the appointment can go back to its slots of before: each is still taken, the change never wrote it,
    /// and no other active appointment holds it; so its old time was never free for anyone else.
    /// </summary>
    private static bool Restorable(Appointment before, ChangeState state)
    {
        var ids = SlotIds(before).ToList();
        return ids.Count > 0 && AppointmentSearches.IsActive(before) && ids.All(id =>
            state.Slots.FirstOrDefault(s => s.Id == id) is { } slot && SlotHolding.IsTaken(slot) && !ChangeIntent.IsTaggedBy(slot, state.ChangeId) &&
            !state.OnSlots.Any(a => a.Id != before.Id && AppointmentSearches.IsActive(a) && SlotIds(a).Contains(id)));
    }

    /// <summary>Whether the change's last planned write landed: the change wrote everything it planned.</summary>
    public static bool Finished(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Planned.Count == 0)
        {
            return false;
        }

        var last = state.Planned[^1];
        if (last.IsDelete)
        {
            return !state.LastWritten.Any(r => r.TypeName == last.ResourceType && r.Id == last.Id);
        }

        var updated = Updated(state.Planned);
        return state.LastWritten.Any(r => r.TypeName == last.ResourceType && ChangeIntent.IsTaggedBy(r, state.ChangeId) &&
            (last.IsCreate ? !updated.Contains(r.TypeName + "/" + r.Id) : r.Id == last.Id));
    }


    private static bool WrittenByAnother(Slot slot, ChangeState state) =>
        !ChangeIntent.IsTaggedBy(slot, state.ChangeId) && state.LiveChanges.Any(other => ChangeIntent.IsTaggedBy(slot, other));

    internal static IEnumerable<string> SlotIds(Appointment appointment) =>
        appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Where(r => r.ResourceType == "Slot").Select(r => r.Id);
}
