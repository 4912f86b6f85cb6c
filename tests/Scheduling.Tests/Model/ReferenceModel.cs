using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Scheduling.Tests.Model;

/// <summary>
/// The reference model: a sequential model of appointments, slots and blocks that the acknowledged operations are
/// applied to, and its prediction compared with what FHIR holds after the run.
/// <para>
/// What it models. An appointment is its status, its slots, its hold's expiry and its participants' answers, as the
/// booking answer showed them. Only operations answered with success are applied (a refused one changes nothing,
/// which is checked by the same comparison). Each success must be possible in the state the model has reached
/// (confirm only a standing hold, no answer or cancel on a hold past its expiry, a status only from the statuses
/// FHIR allows and once its time has come ...); what it leads to is FHIR R4's rule and the decisions of the README:
/// booked exactly while every required participant has accepted, a counter-proposal puts everyone back to
/// needs-action, a required decline cancels. Slots follow from the appointments and blocks: held by an active
/// appointment → BUSY (BUSY_TENTATIVE while pending), else under a standing block → BUSY_UNAVAILABLE, else FREE;
/// a deleted slot and an unblocked block are gone.
/// </para>
/// <para>
/// Order. Clients run at once, so the order of two operations on one appointment is known only when one was
/// answered before the other was sent. Per appointment, every order of its successes that keeps that real-time order
/// is tried (a linearizability check over a window of a few operations; more than <see cref="MaxOrdered"/> are not
/// enumerated); FHIR's final appointment must be what one of the orders in which every success was possible leads to.
/// A hold past its expiry at the end may be standing or released (the sweeper may or may not have run). Slots and
/// blocks need no order: a slot's prediction depends only on the final appointments and on which blocks stand, and
/// two appointments the model leaves holding one slot are a double booking whatever the order.
/// </para>
/// </summary>
public static class ReferenceModel
{
    private const int MaxOrdered = 7;

    private static readonly string[] Active = ["PROPOSED", "PENDING", "BOOKED", "ARRIVED", "CHECKED_IN", "WAITLIST"];

    /// <summary>The statuses whose appointment keeps its slots taken (a no-show or a fulfilment used its time).</summary>
    private static readonly string[] Taking = ["PENDING", "BOOKED", "ARRIVED", "CHECKED_IN", "NOSHOW", "FULFILLED"];

    /// <summary>changeAppointmentStatus: the statuses each target may be reached from (FHIR R4's appointment state machine).</summary>
    private static readonly Dictionary<string, string[]> StatusFrom = new()
    {
        ["CHECKED_IN"] = ["BOOKED"],
        ["ARRIVED"] = ["BOOKED", "CHECKED_IN"],
        ["FULFILLED"] = ["ARRIVED", "CHECKED_IN"],
        ["NOSHOW"] = ["BOOKED"],
    };

    public sealed record Participant(string Actor, bool Required, string Answer);

    public sealed record State(string Status, IReadOnlyList<string> Slots, DateTimeOffset Start, DateTimeOffset? Hold, IReadOnlyList<Participant> Participants)
    {
        public bool ExpiredAt(DateTimeOffset time) => Status == "PENDING" && Hold is { } hold && time >= hold;

        public bool AllRequiredAccepted => Participants.Where(p => p.Required).All(p => p.Answer == "ACCEPTED");

        /// <summary>What is compared with FHIR: status, slots and the participants' answers.</summary>
        public string Key => $"{Status} [{string.Join(",", Slots.Order(StringComparer.Ordinal))}] {{{string.Join(",", Participants.Select(p => $"{p.Actor}:{p.Answer}").Order(StringComparer.Ordinal))}}}";
    }

    /// <summary>
    /// One acknowledged operation applied to an appointment's state; null when it could not have succeeded there.
    /// </summary>
    public static State? Apply(State s, Told t, ModelWorld world) => t.Op switch
    {
        Op.Confirm when s.Status == "PENDING" && s.Hold is not null && !s.ExpiredAt(t.Before) =>
            s with { Status = "BOOKED", Hold = null, Participants = [.. s.Participants.Select(p => p with { Answer = "ACCEPTED" })] },
        Op.Cancel or Op.CancelSeriesFrom when !s.ExpiredAt(t.Before) && s.Status is "PROPOSED" or "PENDING" or "BOOKED" or "CHECKED_IN" or "WAITLIST" =>
            s with { Status = "CANCELLED", Hold = null },
        Op.Reschedule r when !s.ExpiredAt(t.Before) && s.Status is "BOOKED" or "PENDING" && Shown(t.Appointment) is { } moved =>
            s with { Slots = moved.Slots, Start = moved.Start, Participants = [.. s.Participants.Where(p => Answers(p.Actor) && Stays(p.Actor, moved)), .. OtherActorsOf(TargetSchedule(r, world))] },
        Op.Respond r when !s.ExpiredAt(t.Before) && s.Status is "PROPOSED" or "PENDING" or "BOOKED" && s.Participants.Any(p => p.Actor == t.AnsweredAs) =>
            Respond(s, t.AnsweredAs!, r.Answer),
        Op.Status c when StatusFrom[c.To].Contains(s.Status) && t.After >= s.Start - (c.To is "CHECKED_IN" or "ARRIVED" ? TimeSpan.FromMinutes(60) : TimeSpan.Zero) =>
            s with { Status = c.To },
        _ => null,
    };

    /// <summary>respondToAppointment, as FHIR R4 and the README put it.</summary>
    private static State Respond(State s, string actor, string answer)
    {
        var participants = s.Participants.Select(p => p.Actor == actor ? p with { Answer = answer } : p).ToList();
        var responder = participants.First(p => p.Actor == actor);
        // In the model a TENTATIVE answer always comes with a new time: a counter-proposal, which everyone answers again.
        var next = answer == "TENTATIVE" ? s with { Participants = [.. participants.Select(p => p with { Answer = "NEEDS_ACTION" })] }
            : answer == "DECLINED" && responder.Required ? s with { Status = "CANCELLED", Hold = null, Participants = participants }
            : s with { Participants = participants };
        if (next.Status is "PROPOSED" or "PENDING" && next.AllRequiredAccepted)
        {
            return next with { Status = "BOOKED", Hold = null };
        }

        // Booked no longer once a required participant has not accepted: pending, its time still taken.
        return next.Status == "BOOKED" && !next.AllRequiredAccepted ? next with { Status = "PENDING" } : next;
    }

    private static Schedule? TargetSchedule(Op.Reschedule r, ModelWorld world) => r.To switch
    {
        MoveTo.Slots => world.SlotSchedule,
        MoveTo.Rule => world.RuleSchedule,
        _ => null,
    };

    /// <summary>
    /// Who keeps their place (and answer) when an appointment moves: the patient and the practitioner. Reschedules in
    /// this world move only between the two schedules the model's practitioner shares, so every other participant
    /// (rooms, the device) is the old schedule's and is replaced by the new schedule's, accepted (README: who takes part).
    /// </summary>
    private static bool Answers(string actor) =>
        actor.StartsWith("Patient/", StringComparison.Ordinal) || actor.StartsWith("Practitioner/", StringComparison.Ordinal);

    /// <summary>
    /// A practitioner of a part the move gives up (a multi-resource appointment moved onto one schedule: the pool's
    /// practitioners of the released shared slot) leaves with it; which parts remain the answer shows, and I4 checks
    /// that every actor of the new slots' schedules takes part. The patient always stays.
    /// </summary>
    private static bool Stays(string actor, State moved) =>
        !actor.StartsWith("Practitioner/", StringComparison.Ordinal) || moved.Participants.Any(m => m.Actor == actor);

    private static IEnumerable<Participant> OtherActorsOf(Schedule? schedule) =>
        (schedule?.Actor ?? []).Where(a => a.Reference is { } r && !Answers(r)).Select(a => new Participant(a.Reference!, true, "ACCEPTED"));

    /// <summary>The state an answer showed (a booking's first state, a reschedule's new slots and start).</summary>
    public static State? Shown(JsonNode? appointment)
    {
        if (appointment?["status"]?.GetValue<string>() is not { } status || Time(appointment["start"]) is not { } start)
        {
            return null;
        }

        var slots = (appointment["slots"] as JsonArray ?? []).Select(s => s?["id"]?.GetValue<string>()).OfType<string>().ToList();
        var participants = (appointment["participants"] as JsonArray ?? []).Select((p, i) => new Participant(
            p?["actor"] is not { } actor ? "#" + i.ToString(CultureInfo.InvariantCulture)
                : actor["reference"]?.GetValue<string>() ?? $"{actor["__typename"]?.GetValue<string>()}/{actor["id"]?.GetValue<string>()}",
            p?["required"]?.GetValue<string>() is null or "REQUIRED",
            p?["status"]?.GetValue<string>() ?? "NEEDS_ACTION")).ToList();
        return new State(status, slots, start, Time(appointment["holdExpiresAt"]), participants);
    }

    /// <summary>What FHIR holds of an appointment, in the model's terms (GraphQL enum names).</summary>
    public static State Of(Appointment a) => new(
        Enum(a.Status?.GetLiteral()),
        [.. a.Slot.Select(r => r.Reference?.Replace("Slot/", string.Empty, StringComparison.Ordinal) ?? string.Empty)],
        a.Start ?? DateTimeOffset.MinValue,
        null,
        [.. a.Participant.Select((p, i) => new Participant(p.Actor?.Reference ?? "#" + i.ToString(CultureInfo.InvariantCulture), p.Required is null or Appointment.ParticipantRequired.Required, Enum(p.Status?.GetLiteral())))]);

    public static List<string> Check(ModelWorld world, IReadOnlyList<Told> told, IReadOnlyList<Appointment> appointments, IReadOnlyDictionary<string, Slot> slots,
        IReadOnlyCollection<string> createdSlots, DateTimeOffset now)
    {
        var violations = new List<string>();
        var fhir = appointments.ToDictionary(a => a.Id!);
        var successes = told.Where(t => t.Succeeded).ToList();

        // Appointments: each one's acknowledged operations, in every order real time allows.
        var finals = new Dictionary<string, State>();
        foreach (var made in Made(successes).GroupBy(m => m.Id))
        {
            var booking = made.MinBy(m => m.Told.Acked);
            if (Shown(booking.Shown) is not { } first || !fhir.TryGetValue(made.Key, out var held))
            {
                continue; // M1 reports an acknowledged appointment missing from FHIR.
            }

            // Its own operations, and a cancelSeriesFrom (from it or an earlier occurrence) that answered it cancelled.
            var ops = successes.Where(t => (t.Target == made.Key && t.Op is Op.Confirm or Op.Cancel or Op.Reschedule or Op.Respond or Op.Status) ||
                                           (t.Op is Op.CancelSeriesFrom && t.Cancelled.Contains(made.Key))).OrderBy(t => t.Sent).ToList();
            var possible = Orders(ops).Select(order => order.Aggregate((State?)first, (s, t) => s is null ? null : Apply(s, t, world)))
                .OfType<State>().SelectMany(s => s.ExpiredAt(now) ? [s, s with { Status = "CANCELLED", Hold = null }] : new[] { s })
                .DistinctBy(s => s.Key).ToList();
            var actual = Of(held);
            var described = string.Join("; ", ops.Select(t => $"{t.Op}{(t.AnsweredAs is null ? string.Empty : " as " + t.AnsweredAs)} [{t.Sent}–{t.Acked}] at {t.Before:HH:mm:ss}"));
            if (possible.Count == 0)
            {
                violations.Add($"R1 Appointment/{made.Key} ({first.Key}): no order of its acknowledged operations is possible: {described}");
                finals[made.Key] = actual;
            }
            else if (possible.FirstOrDefault(s => s.Key == actual.Key) is { } match)
            {
                finals[made.Key] = match;
            }
            else
            {
                violations.Add($"R2 Appointment/{made.Key} is {actual.Key} in FHIR; from {first.Key} after {(ops.Count == 0 ? "nothing" : described)} the model predicts {string.Join(" or ", possible.Select(s => s.Key))}");
                finals[made.Key] = actual;
            }
        }

        // Blocks: standing unless unblocked; one block unblocked twice is a change acknowledged twice.
        var blocks = successes.Where(t => t.Op is Op.Block && t.BlockId is not null && t.BlockSpan is not null).ToDictionary(t => t.BlockId!, t => t.BlockSpan!.Value);
        var unblocked = successes.Where(t => t.Op is Op.Unblock && t.Target is not null).GroupBy(t => t.Target!).ToList();
        violations.AddRange(unblocked.Where(g => g.Count() > 1).Select(g => $"R4 block Slot/{g.Key} was unblocked {g.Count()} times"));
        var standingBlocks = blocks.Where(b => unblocked.All(u => u.Key != b.Key)).Select(b => b.Value).ToList();
        var deleted = successes.Where(t => t.Op is Op.DeleteSlot).SelectMany(t => t.AskedSlots).ToHashSet();

        // Slots the model knows: the world's, those created, those answers showed; each one's status follows.
        var taken = finals.Where(f => Taking.Contains(f.Value.Status)).SelectMany(f => f.Value.Slots.Select(slot => (Slot: slot, Appointment: f.Key, f.Value.Status)))
            .GroupBy(x => x.Slot).ToDictionary(g => g.Key, g => g.ToList());
        violations.AddRange(taken.Where(t => t.Value.Count > world.CapacityOf(t.Key))
            .Select(t => $"R3 the acknowledged operations leave Slot/{t.Key} taken by {string.Join(" and ", t.Value.Select(x => $"Appointment/{x.Appointment} {x.Status}"))}"));
        var known = world.Slots.Concat(world.SharedSlots).Concat(world.StrangerSlots).Concat(world.InactiveSlots).Concat(world.GroupSlots).Select(s => s.Id!)
            .Concat(createdSlots).Concat(Made(successes).SelectMany(m => Shown(m.Shown)?.Slots ?? [])).Concat(successes.SelectMany(t => Shown(t.Appointment)?.Slots ?? []))
            .Concat(finals.Values.SelectMany(f => f.Slots))
            .Concat(blocks.Keys).Distinct().ToList();
        var scheduleOfSlot = world.Slots.Select(s => s.Id!).Concat(createdSlots).ToHashSet();
        foreach (var id in known)
        {
            slots.TryGetValue(id, out var slot);
            var by = taken.GetValueOrDefault(id);
            string[] expected = blocks.ContainsKey(id) ? (unblocked.Any(u => u.Key == id) ? ["(gone)", "ENTERED_IN_ERROR"] : ["BUSY_UNAVAILABLE"])
                : deleted.Contains(id) ? ["(gone)"]
                // A slot with seats: FREE while fewer than its capacity hold it, then BUSY, or BUSY_TENTATIVE when only holds fill it.
                : by is not null && by.Count < world.CapacityOf(id) ? ["FREE"]
                : by is not null ? [by.All(x => x.Status == "PENDING") ? "BUSY_TENTATIVE" : "BUSY"]
                : slot is not null && scheduleOfSlot.Contains(id) && standingBlocks.Any(b => b.Start < slot.End && slot.Start < b.End) ? ["BUSY_UNAVAILABLE"]
                : ["FREE"];
            var status = slot is null ? "(gone)" : Enum(slot.Status?.GetLiteral());
            if (!expected.Contains(status))
            {
                violations.Add($"R5 Slot/{id} {slot?.Start:HH:mm}-{slot?.End:HH:mm} is {status} in FHIR; the model predicts {string.Join(" or ", expected)}" +
                               (by is null ? string.Empty : $" (taken by {string.Join(", ", by.Select(x => $"Appointment/{x.Appointment} {x.Status}"))})"));
            }
        }

        return violations;
    }

    /// <summary>Every appointment an acknowledged booking made, as its answer showed it: a booking's one, a series' occurrences.</summary>
    public static IEnumerable<(string Id, JsonNode? Shown, Told Told)> Made(IEnumerable<Told> successes) => successes.SelectMany(t =>
        OperationRunner.IsBooking(t.Op) && t.AppointmentId is { } id ? [(id, t.Appointment, t)]
        : t.Op is Op.BookSeries ? t.Occurrences.Select(o => (Told.IdOf(o)!, (JsonNode?)o, t))
        : Array.Empty<(string, JsonNode?, Told)>());

    /// <summary>
    /// Roles: what a patient's or a practitioner's token may not do is refused with FORBIDDEN (and, being refused,
    /// is not applied to the model, so anything it wrote shows there). A scheduler is never refused so.
    /// </summary>
    public static IEnumerable<string> Access(ModelWorld world, IReadOnlyList<Told> told, Func<int, string> patientOfClient)
    {
        var patientOf = Made(told.Where(t => t.Succeeded)).GroupBy(m => m.Id).ToDictionary(g => g.Key, g => g.First().Told.PatientId);
        var onShared = told.Where(t => t.Succeeded && OperationRunner.IsBooking(t.Op) && t.AppointmentId is not null && t.Op is Op.BookShared)
            .Select(t => t.AppointmentId!).ToHashSet();
        foreach (var t in told.Where(t => !t.Aborted && t.ErrorCode is not ("NO_APPOINTMENT_YET" or "NO_BLOCK_YET" or "NO_SLOT_SEEN_YET")))
        {
            var me = t.Role == Role.Patient ? "Patient/" + patientOfClient(t.Client) : "Practitioner/" + world.Practitioner.Id;
            // Refused by role before anything is read: FORBIDDEN whatever else is wrong. Refused by the target's
            // schedule or appointment: refused, maybe for another reason found first (the slot is taken).
            var (why, forbidden) = t.Role switch
            {
                Role.Patient when OperationRunner.IsBooking(t.Op) && "Patient/" + t.PatientId != me => ("a patient books for another patient", true),
                Role.Patient when t.Op is Op.Status or Op.Block or Op.Unblock or Op.CreateSlots or Op.DeleteSlot => ("a patient changes a status or a schedule", true),
                Role.Patient or Role.Practitioner when t.Op is Op.Respond && t.AnsweredAs != me => ("a participant answers for another", true),
                Role.Patient when t.Target is not null && "Patient/" + patientOf.GetValueOrDefault(t.Target) != me => ("a patient changes another patient's appointment", true),
                Role.Practitioner when t.Target is not null && onShared.Contains(t.Target) => ("a practitioner changes a colleague's appointment", true),
                Role.Practitioner when t.Op is Op.BookShared => ("a practitioner books on a colleague's schedule", false),
                // Rescheduling applies booking's authorization: onto a schedule the practitioner may not book on is
                // FORBIDDEN before any other check of the new time (only the appointment's own state answers first).
                Role.Practitioner when t.Op is Op.Reschedule { To: MoveTo.Stranger } && t.ErrorCode != "INVALID_TRANSITION" =>
                    ("a practitioner moves an appointment onto a schedule they may not book on", true),
                _ => (null, false),
            };
            if (why is not null && (forbidden ? t.ErrorCode != "FORBIDDEN" : t.Succeeded))
            {
                yield return $"A1 {why}: {t.Role} client {t.Client} {t.Op}{(t.AnsweredAs is null ? string.Empty : " as " + t.AnsweredAs)} was told {(t.Succeeded ? "ok " + t.AppointmentId : t.ErrorCode ?? t.TopLevelError)}, not {(forbidden ? "FORBIDDEN" : "a refusal")}";
            }
            else if (t.Role == Role.Scheduler && t.ErrorCode == "FORBIDDEN")
            {
                yield return $"A2 a scheduler was refused {t.Op}";
            }
        }
    }

    /// <summary>Every order of the operations in which none comes before one that was answered before it was sent.</summary>
    private static IEnumerable<List<Told>> Orders(List<Told> ops)
    {
        if (ops.Count > MaxOrdered)
        {
            return [ops.OrderBy(t => t.Acked).ToList()];
        }

        return Extend([], ops);

        static IEnumerable<List<Told>> Extend(List<Told> done, List<Told> left)
        {
            if (left.Count == 0)
            {
                yield return done;
                yield break;
            }

            foreach (var next in left.Where(n => !left.Any(o => o != n && o.Acked < n.Sent)))
            {
                foreach (var order in Extend([.. done, next], [.. left.Where(o => o != next)]))
                {
                    yield return order;
                }
            }
        }
    }

    private static string Enum(string? literal) => (literal ?? "none").Replace('-', '_').ToUpperInvariant();

    private static DateTimeOffset? Time(JsonNode? node) =>
        node?.GetValue<string>() is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) : null;
}
