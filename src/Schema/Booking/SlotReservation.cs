using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// The slots a change takes or gives up: resolved from ids (real Slots, or rule options planned without writing),
/// written only once every check has passed, and freed unless another active appointment still holds them.
/// </summary>
public sealed partial class SlotReservation(IFhirStore store, RuleSlots ruleSlots)
{
    public const int MaxSlots = 24;

    /// <summary>
    /// The slots of a booking time: its slot ids (<see cref="PlanAsync(IEnumerable{string}, CancellationToken)"/>), or
    /// an availability option's exact span: the schedule's rule slot for it, or the real slots of the schedule that
    /// cover it end to end. An option whose span no slots cover any more (deleted, moved, or a rule gone) is no longer
    /// offered: SLOT_UNAVAILABLE. Writes nothing and judges no status, as for slot ids.
    /// </summary>
    public async Task<List<Slot>> PlanAsync(BookingTime time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (time.Option is not { } option)
        {
            return await PlanAsync(time.SlotIds ?? [], cancellationToken);
        }

        if (option.IsMultiPart)
        {
            throw Fail(new ValidationError("That option takes several schedules at once; book it with bookAppointment or holdSlots (time: { optionId }).", "time", "one-schedule"));
        }

        var schedule = await store.ReadAsync<Schedule>(option.ScheduleId, cancellationToken);
        if (schedule is not null && AvailabilityRule.FromSchedule(schedule) is not null)
        {
            return await PlanAsync([RuleSlots.Id(option.ScheduleId, option.Start, option.End)], cancellationToken);
        }

        var slots = schedule is null ? []
            : await store.SearchAllAsync<Slot>(SlotSearches.Overlapping([option.ScheduleId], option.Start, option.End), cancellationToken);
        return Covering(slots, option.Span) ?? throw Fail(new SlotUnavailableError("That availability option is no longer offered: no slots of its schedule cover its time any more.", []));
    }

    /// <summary>
    /// Slots that follow each other from the span's start to its end exactly (at most <see cref="MaxSlots"/>), the
    /// takeable ones preferred where slots overlap; null when none do.
    /// </summary>
    public static List<Slot>? Covering(IEnumerable<Slot> slots, TimeRange span)
    {
        var inside = (slots ?? []).Where(s => s.Start is { } start && s.End is { } end && end > start && span.Contains(new TimeRange(start, end)))
            .OrderBy(s => IsTakeable(s) ? 0 : 1).ThenBy(s => s.Id, StringComparer.Ordinal)
            .ToLookup(s => s.Start!.Value);
        var chain = new List<Slot>();
        var deadEnds = new HashSet<DateTimeOffset>();
        return Extend(span.Start) ? chain : null;

        bool Extend(DateTimeOffset from)
        {
            if (from == span.End)
            {
                return true;
            }

            if (chain.Count == MaxSlots || deadEnds.Contains(from))
            {
                return false;
            }

            foreach (var next in inside[from])
            {
                chain.Add(next);
                if (Extend(next.End!.Value))
                {
                    return true;
                }

                chain.RemoveAt(chain.Count - 1);
            }

            deadEnds.Add(from);
            return false;
        }
    }

    /// <summary>
    /// The slots to take, ordered and contiguous. Writes nothing and judges no status: whether each may be taken is
    /// decided after authorization, with busy time (<see cref="BookingChecks"/>).
    /// </summary>
    public async Task<List<Slot>> PlanAsync(IEnumerable<string> slotIds, CancellationToken cancellationToken) =>
        Contiguous(await ResolveAsync(slotIds, cancellationToken));

    /// <summary>The slots these ids name (real ones read, rule options planned), each with a start and an end; unordered.</summary>
    private async Task<List<Slot>> ResolveAsync(IEnumerable<string> slotIds, CancellationToken cancellationToken)
    {
        var ids = (slotIds ?? []).Distinct().ToList();
        if (ids.Count == 0 || ids.Count > MaxSlots)
        {
            throw Fail(new ValidationError($"Give between 1 and {MaxSlots} slot ids.", "slotIds"));
        }

        var real = ids.Where(FhirReference.IsValidId).ToList();
        var slots = real.Count == 0 ? [] : (await store.SearchAllAsync<Slot>(SlotSearches.ByIds(real), cancellationToken)).ToList();
        foreach (var id in ids.Where(id => !slots.Any(s => s.Id == id)))
        {
            slots.Add((FhirReference.IsValidId(id) ? null : await ruleSlots.PlanAsync(id, cancellationToken)) ??
                throw Fail(new NotFoundError($"Slot {id} does not exist.", "Slot", id)));
        }

        if (slots.Any(s => s.Start is null || s.End is null))
        {
            throw Fail(new ValidationError("A slot without start and end cannot be booked.", "slotIds"));
        }

        return slots;
    }

    /// <summary>The slots ordered by start, each following the one before without gap (a typed refusal otherwise).</summary>
    private static List<Slot> Contiguous(IEnumerable<Slot> unordered)
    {
        List<Slot> slots = [.. unordered.OrderBy(s => s.Start)];

        for (var i = 1; i < slots.Count; i++)
        {
            if (slots[i].Start != slots[i - 1].End)
            {
                throw Fail(new ValidationError("The slots of one booking must follow each other without gaps.", "slotIds"));
            }
        }

        return slots;
    }

    /// <summary>Writes the planned rule slots (after the checks) and returns every slot with its id.</summary>
    public async Task<List<Slot>> MaterializeAsync(List<Slot> planned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planned);
        var slots = new List<Slot>(planned.Count);
        foreach (var slot in planned)
        {
            slots.Add(slot.Id is null ? await ruleSlots.MaterializeAsync(slot, cancellationToken) : slot);
        }

        return slots;
    }

    public async Task<List<Slot>> OfAsync(Appointment appointment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appointment);
        var ids = appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(r => r.Id).Distinct().ToList();
        return ids.Count == 0 ? [] : [.. await store.SearchAllAsync<Slot>(SlotSearches.ByIds(ids), cancellationToken)];
    }

    /// <summary>
    /// Writes that leave an appointment's slots as their holders do once it is <paramref name="after"/> (cancelled,
    /// moved away, booked no longer): a slot with seats always, as its seats now are (<see cref="SlotSeats"/>: a seat
    /// given back makes it FREE); another slot when its status changes (FREE unless another appointment still holds it).
    /// </summary>
    public async Task<List<FhirWrite>> SettleWritesAsync(List<Slot> slots, Appointment after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentNullException.ThrowIfNull(after);
        var concerned = slots.Where(s => s.Id is not null && (SlotHolding.IsTaken(s) || SlotSeats.IsShared(s))).ToList();
        if (concerned.Count == 0)
        {
            return [];
        }

        var others = await store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots(concerned.Select(s => s.Id!)), cancellationToken);
        List<Appointment> holders = [.. others.Where(a => a.Id != after.Id), after];
        return [.. concerned.Where(s => SlotSeats.NeedsWrite(s, holders)).Select(s => SlotSeats.Write(s, holders))];
    }

    public static FhirWrite Retag(Slot slot, SlotStatus status)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var changed = (Slot)slot.DeepCopy();
        changed.Status = status;
        return FhirWrite.Update(slot, changed);
    }

    /// <summary>Free, or taken but with seats (<see cref="SlotSeats"/>: whether one is left is the booking's check).</summary>
    public static bool IsTakeable(Slot slot) =>
        slot?.Status == SlotStatus.Free || (SlotHolding.IsTaken(slot!) && SlotSeats.IsShared(slot!));

    private static SchedulingException Fail(SchedulingError error) => new(error);
}
