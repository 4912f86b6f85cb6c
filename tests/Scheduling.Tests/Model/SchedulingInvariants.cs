using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Model;

/// <summary>
/// The invariants of SCHEDULING.md, read straight from FHIR after a run, and the reference model of what the
/// clients were told. Returns every violation found (empty: all hold).
/// </summary>
public static class SchedulingInvariants
{
    private static readonly Appointment.AppointmentStatus[] Active =
    [
        Appointment.AppointmentStatus.Proposed, Appointment.AppointmentStatus.Pending, Appointment.AppointmentStatus.Booked,
        Appointment.AppointmentStatus.Arrived, Appointment.AppointmentStatus.CheckedIn,
    ];

    private const string HoldExpires = "https://scheduling-gateway.example.org/fhir/StructureDefinition/hold-expires";

    private const string BlockedBy = "https://scheduling-gateway.example.org/fhir/StructureDefinition/blocked-by";

    public static async Task<List<string>> CheckAsync(
        IFhirStore store, ModelWorld world, IReadOnlyList<Told> told, IReadOnlyCollection<string> createdSlots, DateTimeOffset now, int openLimit = 0,
        Func<int, string>? patientOfClient = null)
    {
        var none = CancellationToken.None;
        var slots = (await store.SearchAllAsync<Slot>(
            FhirQuery.For<Slot>().WhereAny("schedule", world.Schedules.Select(s => "Schedule/" + s.Id)), none)).ToDictionary(s => s.Id!);
        var appointments = await store.SearchAllAsync<Appointment>(
            FhirQuery.For<Appointment>().WhereAny("patient", world.Patients.Select(p => "Patient/" + p.Id)), none);
        var violations = new List<string>();
        // A series' template (PROPOSED, no time, no slots: FHIR R4's app-3) takes no time: the series' checks judge it (SeriesChecks).
        var active = appointments.Where(a => a.Status is { } s && Active.Contains(s) && !GatewayProfile.IsSeriesTemplate(a)).ToList();
        var standing = active.Where(a => !(a.Status == Appointment.AppointmentStatus.Pending &&
            a.GetExtension(HoldExpires)?.Value is Instant { Value: { } expires } && expires <= now)).ToList();

        // 1. Per actor, standing appointments never overlap: the actors taking part and every actor of its slots' schedule.
        IEnumerable<string?> ActorsOf(Appointment a) => a.Participant.Select(p => p.Actor?.Reference).Concat(a.Slot
            .Select(r => slots.TryGetValue(r.Reference?.Replace("Slot/", string.Empty, StringComparison.Ordinal) ?? string.Empty, out var slot) ? slot.Schedule?.Reference : null)
            .SelectMany(schedule => world.Schedules.FirstOrDefault(s => "Schedule/" + s.Id == schedule)?.Actor.Select(x => x.Reference) ?? [])).Distinct();
        // Except up to a slot's capacity: appointments sitting on the same slots with seats (the world's group slots)
        // may overlap each other, never anything else, and no more of them stand on a slot than it has seats.
        bool Seated(Appointment a) => a.Slot.Count > 0 && a.Slot.All(r => world.CapacityOf(SlotId(r)) > 1);
        bool ShareSeats(Appointment a, Appointment b) => Seated(a) && Seated(b) && a.Slot.Select(SlotId).Order().SequenceEqual(b.Slot.Select(SlotId).Order());
        foreach (var byActor in standing.SelectMany(a => ActorsOf(a).Select(actor => (Actor: actor, Appointment: a)))
                     .Where(x => x.Actor is not null && !x.Actor.StartsWith("Patient/", StringComparison.Ordinal)).GroupBy(x => x.Actor))
        {
            var list = byActor.Select(x => x.Appointment).DistinctBy(a => a.Id).OrderBy(a => a.Start).ToList();
            for (var i = 0; i < list.Count; i++)
            {
                foreach (var other in list.Skip(i + 1).Where(o => o.Start < list[i].End && list[i].Start < o.End && !ShareSeats(list[i], o)))
                {
                    violations.Add($"I1 overlap for {byActor.Key}: {Describe(list[i])} and {Describe(other)}");
                }
            }
        }

        foreach (var group in world.GroupSlots)
        {
            var sitting = standing.Where(a => a.Slot.Any(r => SlotId(r) == group.Id)).ToList();
            if (sitting.Count > world.CapacityOf(group.Id!))
            {
                violations.Add($"I1 Slot/{group.Id} has {sitting.Count} standing appointments, beyond its {world.CapacityOf(group.Id!)} seats: {string.Join(", ", sitting.Select(Describe))}");
            }
        }

        // 2. A slot is as the one appointment holding it leaves it (SlotHolding: BUSY under a booking, or a no-show or
        // fulfilled one, which used its time; BUSY_TENTATIVE under a hold, a proposal or a waitlisted one); a slot no
        // appointment holds is neither: no appointment on a free/blocked/missing slot.
        foreach (var slot in slots.Values)
        {
            var holders = appointments.Where(a => SlotHolding.HoldsItsSlots(a) && a.Slot.Any(r => r.Reference == "Slot/" + slot.Id)).ToList();
            var taken = SlotHolding.IsTaken(slot);
            if (world.CapacityOf(slot.Id!) is > 1 and var seats)
            {
                // A slot with seats: FREE while fewer than its seats hold it; full, BUSY (BUSY_TENTATIVE when only holds fill it).
                var expected = holders.Count < seats ? Slot.SlotStatus.Free
                    : holders.Any(h => SlotHolding.SlotStatusFor(h) == Slot.SlotStatus.Busy) ? Slot.SlotStatus.Busy : Slot.SlotStatus.BusyTentative;
                if (slot.Status != expected)
                {
                    violations.Add($"I2 {slot.Status} slot {Describe(slot)} with {seats} seats has {holders.Count} appointments holding it ({string.Join(", ", holders.Select(Describe))}), expected {expected}");
                }
            }
            else if (taken && (holders.Count != 1 || SlotHolding.SlotStatusFor(holders[0]) != slot.Status))
            {
                violations.Add($"I2 {slot.Status} slot {Describe(slot)} has {holders.Count} appointments holding it, not one that leaves it so ({string.Join(", ", holders.Select(Describe))})");
            }
            else if (!taken && holders.Count > 0)
            {
                violations.Add($"I2 {slot.Status} slot {Describe(slot)} under {string.Join(", ", holders.Select(Describe))}");
            }
        }

        // 5. Blocks nest: time any standing block covers is neither FREE nor held by a standing appointment, whichever
        // block marked the slot and whichever others were unblocked since.
        var standingBlocks = slots.Values.Where(s => s.Status == Slot.SlotStatus.BusyUnavailable && s.GetExtension(BlockedBy) is null).ToList();
        foreach (var slot in slots.Values.Where(s => !standingBlocks.Contains(s)))
        {
            if (standingBlocks.FirstOrDefault(b => b.Schedule?.Reference == slot.Schedule?.Reference && b.Start < slot.End && slot.Start < b.End) is not { } block)
            {
                continue;
            }

            if (slot.Status == Slot.SlotStatus.Free)
            {
                violations.Add($"I5 FREE slot {Describe(slot)} under the standing block {Describe(block)}");
            }

            if (standing.FirstOrDefault(a => a.Slot.Any(r => r.Reference == "Slot/" + slot.Id)) is { } holder)
            {
                violations.Add($"I5 {Describe(holder)} holds {Describe(slot)} under the standing block {Describe(block)}");
            }
        }

        // 6. No dangling reference: every appointment, whatever its status (a cancelled one too: FHIR R4's
        // Appointment.slot is its record of its time), points only to slots that exist, and to at least one.
        var dangling = appointments.Where(a => !GatewayProfile.IsSeriesTemplate(a) && (a.Slot.Count == 0 || a.Slot.Any(r => !slots.ContainsKey(SlotId(r))))).ToList();
        violations.AddRange(dangling.Select(a => $"I6 {Describe(a)} points to missing slots {string.Join(", ", a.Slot.Select(SlotId).Where(id => !slots.ContainsKey(id)))}"));
        foreach (var appointment in active.Except(dangling))
        {
            var mine = appointment.Slot.Select(r => slots[SlotId(r)]).OrderBy(s => s.Start).ToList();
            var expected = SlotHolding.SlotStatusFor(appointment);
            if (mine.Any(s => s.Status != expected && world.CapacityOf(s.Id!) == 1))
            {
                violations.Add($"I2 {Describe(appointment)} has slots {string.Join(", ", mine.Select(Describe))}, expected all {expected}");
            }

            // 3. Times match the slots; one schedule; its practitioners are actors of that schedule.
            if (appointment.Start != mine[0].Start || appointment.End != mine[^1].End)
            {
                violations.Add($"I3 {Describe(appointment)} does not match its slots {string.Join(", ", mine.Select(Describe))}");
            }

            // Several schedules at once (several resources): each schedule's slots cover the same span; its
            // practitioners are actors of one of them, and every actor of them takes part.
            var schedules = mine.Select(s => s.Schedule?.Reference).Distinct().ToList();
            var own = schedules.Select(r => world.Schedules.FirstOrDefault(s => "Schedule/" + s.Id == r)).ToList();
            if (own.Any(s => s is null) || schedules.Any(r => mine.Where(s => s.Schedule?.Reference == r).Sum(s => (s.End!.Value - s.Start!.Value).Ticks) != (mine[^1].End!.Value - mine[0].Start!.Value).Ticks))
            {
                violations.Add($"I4 {Describe(appointment)} spans schedules {string.Join(", ", schedules)} not each for its whole time");
            }
            else if (appointment.Participant.Select(p => p.Actor?.Reference).Where(r => r?.StartsWith("Practitioner/", StringComparison.Ordinal) == true)
                         .FirstOrDefault(r => own.All(s => s!.Actor.All(a => a.Reference != r))) is { } stranger)
            {
                violations.Add($"I4 {Describe(appointment)} has {stranger}, not an actor of {string.Join(", ", schedules)}");
            }
            else if (own.SelectMany(s => s!.Actor).Select(a => a.Reference).FirstOrDefault(r => appointment.Participant.All(p => p.Actor?.Reference != r)) is { } missing)
            {
                violations.Add($"I4 {Describe(appointment)} does not have {missing}, an actor of its schedules, taking part");
            }
        }

        violations.AddRange(active.Where(a => a.Slot.Any(r => world.InactiveSlots.Any(s => r.Reference == "Slot/" + s.Id)))
            .Select(a => $"I9 {Describe(a)} is on the inactive schedule"));
        violations.AddRange(ToldChecks.BookedMeansAccepted(active));
        violations.AddRange(active.Where(a => a.Slot.Any(r => slots.TryGetValue(r.Reference?.Replace("Slot/", string.Empty, StringComparison.Ordinal) ?? string.Empty, out var s) &&
                                                             s.Schedule?.Reference == "Schedule/" + world.RuleSchedule.Id) &&
                                              a.End > world.DayStart.Add(ModelWorld.HorizonAfterStart))
            .Select(a => $"I8 {Describe(a)} ends after the rule schedule's planning horizon"));
        violations.AddRange(CapsKept(world, appointments, slots, now));
        // Nothing is written before every check has passed: a rule-made Slot that no appointment uses was asked for by
        // a change that could pass the checks (and then won or lost a race), never only by ones a fixed rule refuses.
        // A refusal by role (FORBIDDEN) comes before any write too.
        string[] fixedRules = ["planning-horizon", "actor-of-schedule", "active-schedule"];
        violations.AddRange(slots.Values
            .Where(s => s.Schedule?.Reference == "Schedule/" + world.RuleSchedule.Id && !appointments.Any(a => a.Slot.Any(r => r.Reference == "Slot/" + s.Id)))
            .Where(s => !told.Any(t => s.Identifier.Any(i => t.AskedSlots.Contains(i.Value)) && !fixedRules.Contains(t.Rule) && t.ErrorCode != "FORBIDDEN"))
            .Select(s => $"M5 {Describe(s)} was made from the rule though a fixed rule refused every change asking for it"));
        violations.AddRange(ToldChecks.Check(told, appointments, now, openLimit, TimeSpan.FromMinutes(60)));
        violations.AddRange(SeriesChecks.Check(world, told, appointments, slots.Values));

        // The reference model: every success exists in FHIR; nothing exists that no client was told of. A client that
        // went away (Op.GoAway) does not know whether its change happened: in a run with one, what no client was told
        // of (M2, M4) and the sequential model of the acknowledged operations (R) are not checked; the invariants
        // over FHIR's state above, and every answer that was given, are.
        var unknowns = told.Any(t => t.Aborted);
        var reported = told.SelectMany(t => t.Reported).ToHashSet();
        violations.AddRange(reported.Where(id => appointments.All(a => a.Id != id)).Select(id => $"M1 reported Appointment/{id} is not in FHIR"));
        violations.AddRange(appointments.Where(a => !unknowns && !reported.Contains(a.Id!)).Select(a => $"M2 {Describe(a)} exists but no client was told of it"));
        violations.AddRange(told.Where(t => t.TopLevelError is not null).Select(t => $"M3 {t.Op} got an untyped error: {t.TopLevelError}"));
        var blocks = told.Where(t => t.BlockId is not null).Select(t => t.BlockId!).ToHashSet();
        var referenced = appointments.SelectMany(a => a.Slot.Select(r => r.Reference?.Replace("Slot/", string.Empty, StringComparison.Ordinal))).ToHashSet();
        violations.AddRange(slots.Values
            .Where(s => !unknowns && s.Status != Slot.SlotStatus.Free && !blocks.Contains(s.Id!) && !referenced.Contains(s.Id) && !createdSlots.Contains(s.Id!) && world.Slots.All(w => w.Id != s.Id))
            .Select(s => $"M4 {Describe(s)} was written by no reported change"));

        // The sequential reference model of the acknowledged operations (ReferenceModel), and the roles.
        if (!unknowns)
        {
            violations.AddRange(ReferenceModel.Check(world, told, appointments, slots, createdSlots, now));
        }

        if (patientOfClient is not null)
        {
            violations.AddRange(ReferenceModel.Access(world, told, patientOfClient));
        }

        return violations;
    }

    /// <summary>
    /// I10 The practitioner's caps (<see cref="ModelWorld.Capped"/>): on each date, the practitioner's bookings counted
    /// now (<see cref="BookingCaps.Counts"/>) that took their time through a capped schedule number at most
    /// <see cref="ModelWorld.Cap"/>. Each of them was judged when it took that time with every other one standing
    /// before it counted (the world's times lie 14:00–18:00 UTC: one local date, and week, in every zone of the world,
    /// and whatever counts now counted since it took its time), so the last of them saw the others. Bookings through
    /// the group schedule (no cap) are counted by the judges but judged by none, so they are not in the tally.
    /// </summary>
    private static IEnumerable<string> CapsKept(ModelWorld world, IReadOnlyList<Appointment> appointments, Dictionary<string, Slot> slots, DateTimeOffset now)
    {
        var capped = world.CappedSchedules.Select(s => "Schedule/" + s.Id).ToHashSet();
        return appointments
            .Where(a => BookingCaps.Counts(a, now) && !GatewayProfile.IsSeriesTemplate(a) && a.Start is not null &&
                        a.Participant.Any(p => p.Actor?.Reference == "Practitioner/" + world.Practitioner.Id) &&
                        a.Slot.Any(r => slots.TryGetValue(SlotId(r), out var slot) && capped.Contains(slot.Schedule?.Reference ?? string.Empty)))
            .GroupBy(a => DateOnly.FromDateTime(a.Start!.Value.UtcDateTime))
            .Where(day => day.Count() > ModelWorld.Cap)
            .Select(day => $"I10 {day.Count()} bookings of the practitioner through capped schedules on {day.Key:yyyy-MM-dd}, over the cap of {ModelWorld.Cap}: " +
                           string.Join(", ", day.Select(Describe)));
    }

    private static string SlotId(ResourceReference reference) => reference.Reference?.Replace("Slot/", string.Empty, StringComparison.Ordinal) ?? string.Empty;

    private static string Describe(Appointment a) =>
        $"Appointment/{a.Id} {a.Status} {a.Start:HH:mm}-{a.End:HH:mm} [{string.Join(",", a.Participant.Select(p => p.Actor?.Reference))}]";

    private static string Describe(Slot s) => $"Slot/{s.Id} {s.Status} {s.Start:HH:mm}-{s.End:HH:mm}";
}
