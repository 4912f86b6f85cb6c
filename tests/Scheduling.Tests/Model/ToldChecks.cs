using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace Scheduling.Tests.Model;

/// <summary>
/// The reference model of what clients were told, checked against the final FHIR state after a run: each answer
/// agrees with what was asked and with what FHIR holds at the end, and the rules that depend on when a change was
/// made (hold expiry, statuses only once the time has come) held at the time the client asked.
/// </summary>
public static class ToldChecks
{
    public static IEnumerable<string> Check(IReadOnlyList<Told> told, IReadOnlyCollection<Appointment> appointments, DateTimeOffset now, int openLimit, TimeSpan checkInWindow)
    {
        var byId = appointments.ToDictionary(a => a.Id!);
        var successes = told.Where(t => t.Succeeded && t.Op is not (Op.AdvanceClock or Op.TimeComes)).ToList();

        // T1 A booking's answer is the time asked for: every real slot asked among its slots, a rule option's exact span.
        foreach (var t in successes.Where(t => OperationRunner.IsBooking(t.Op)))
        {
            var slots = (t.Appointment?["slots"] as JsonArray ?? []).Select(s => s?["id"]?.GetValue<string>()).ToHashSet();
            var (start, end) = (Time(t.Appointment?["start"]), Time(t.Appointment?["end"]));
            foreach (var asked in t.AskedSlots)
            {
                if (RuleOption(asked) is { } option ? !(start == option.Start && end == option.End) : !slots.Contains(asked))
                {
                    yield return $"T1 {t.Op} asked for {Describe(asked)} and was told Appointment/{t.AppointmentId} {start:HH:mm}-{end:HH:mm} on [{string.Join(",", slots)}]";
                }
            }
        }

        // T7 Nothing lands on an inactive schedule, and a booking there is told why (whatever else is wrong, the schedule is checked first).
        foreach (var t in told.Where(t => t.Op is Op.BookInactive or Op.Reschedule { To: MoveTo.Inactive } && (t.Succeeded || (t.Op is Op.BookInactive && t.Rule != "active-schedule"))))
        {
            yield return $"T7 {t.Op} on the inactive schedule was told {(t.Succeeded ? "ok " + t.AppointmentId : t.ErrorCode + " " + t.Rule)}";
        }

        // T8 createSlots without a zone generates in the schedule's own zone: its slots start at 13:00 there, then step by their length.
        var slotZone = TimeZoneInfo.FindSystemTimeZoneById(ModelWorld.SlotScheduleZone);
        foreach (var t in successes.Where(t => t.Op is Op.CreateSlots))
        {
            var starts = t.CreatedStarts.Order().ToList();
            if (starts.Count > 0 && TimeZoneInfo.ConvertTime(starts[0], slotZone).TimeOfDay != new TimeSpan(13, 0, 0))
            {
                yield return $"T8 {t.Op} without a zone began at {starts[0]:HH:mm} UTC, not 13:00 in {ModelWorld.SlotScheduleZone}";
            }
        }

        // T2 One patient's clientMutationId stands for one appointment.
        foreach (var keyed in successes.Where(t => t.Key is not null).GroupBy(t => (t.PatientId, t.Key)).Where(g => g.Select(t => t.AppointmentId).Distinct().Count() > 1))
        {
            yield return $"T2 clientMutationId {keyed.Key.Key} of Patient/{keyed.Key.PatientId} answered {string.Join(", ", keyed.Select(t => $"{t.Op} → Appointment/{t.AppointmentId}"))}";
        }

        // T3 A no-show or fulfilment only from the start on, a check-in or arrival from the check-in window on.
        foreach (var t in successes.Where(t => t.Op is Op.Status && t.Target is not null && byId.ContainsKey(t.Target)))
        {
            var to = ((Op.Status)t.Op).To;
            var earliest = byId[t.Target!].Start - (to is "CHECKED_IN" or "ARRIVED" ? checkInWindow : TimeSpan.Zero);
            if (earliest > t.After)
            {
                yield return $"T3 Appointment/{t.Target} became {to} at {t.After:MM-dd HH:mm}, before {earliest:MM-dd HH:mm}";
            }
        }

        // T4 A hold is dead from its expiry on: whatever succeeded on it first was asked for before that.
        var expiries = told.Where(t => t.AppointmentId is not null && Time(t.Appointment?["holdExpiresAt"]) is not null)
            .GroupBy(t => t.AppointmentId!).ToDictionary(g => g.Key, g => g.Min(t => Time(t.Appointment!["holdExpiresAt"]))!.Value);
        foreach (var (id, expires) in expiries)
        {
            var on = successes.Where(t => t.Target == id).ToList();
            if (on.Count > 0 && on.Min(t => t.Before) >= expires)
            {
                yield return $"T4 hold Appointment/{id} expired at {expires:HH:mm:ss} but took {string.Join(", ", on.Select(t => $"{t.Op} at {t.Before:HH:mm:ss}"))}";
            }
        }

        // T5 What was told done stays done: a cancellation, a decline, a no-show and a fulfilment are final.
        foreach (var t in successes.Where(t => t.Target is not null && byId.ContainsKey(t.Target)))
        {
            var final = byId[t.Target!].Status;
            Appointment.AppointmentStatus? expected = t.Op switch
            {
                Op.Cancel => Appointment.AppointmentStatus.Cancelled,
                Op.Respond { Answer: "DECLINED" } => Appointment.AppointmentStatus.Cancelled,
                Op.Status { To: "NOSHOW" } => Appointment.AppointmentStatus.Noshow,
                Op.Status { To: "FULFILLED" } => Appointment.AppointmentStatus.Fulfilled,
                _ => null,
            };
            if (expected is not null && final != expected)
            {
                yield return $"T5 {t.Op} on Appointment/{t.Target} succeeded, but it ends {final}";
            }
        }

        // T6 A patient's upcoming booked or held appointments stay within the limit, however many booked at once.
        foreach (var patient in appointments
                     .Where(a => a.Status is Appointment.AppointmentStatus.Booked or Appointment.AppointmentStatus.Pending && a.Start >= now && !ExpiredHold(a, now))
                     .GroupBy(a => a.Participant.Select(p => p.Actor?.Reference).FirstOrDefault(r => r?.StartsWith("Patient/", StringComparison.Ordinal) == true))
                     .Where(g => openLimit > 0 && g.Count() > openLimit))
        {
            yield return $"T6 {patient.Key} has {patient.Count()} open appointments against a limit of {openLimit}";
        }
    }

    /// <summary>Booked exactly while every required participant has accepted (FHIR R4).</summary>
    public static IEnumerable<string> BookedMeansAccepted(IEnumerable<Appointment> appointments) =>
        appointments.Where(a => a.Status == Appointment.AppointmentStatus.Booked &&
                                a.Participant.Any(p => p.Required is null or Appointment.ParticipantRequired.Required && p.Status != ParticipationStatus.Accepted))
            .Select(a => $"I7 Appointment/{a.Id} is BOOKED with participants [{string.Join(", ", a.Participant.Select(p => $"{p.Actor?.Reference} {p.Status}"))}]");

    private static bool ExpiredHold(Appointment a, DateTimeOffset now) =>
        a.Status == Appointment.AppointmentStatus.Pending &&
        a.GetExtension("https://scheduling-gateway.example.org/fhir/StructureDefinition/hold-expires")?.Value is Instant { Value: { } expires } && expires <= now;

    private static DateTimeOffset? Time(JsonNode? node) =>
        node?.GetValue<string>() is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) : null;

    private static (DateTimeOffset Start, DateTimeOffset End)? RuleOption(string id)
    {
        if (!id.StartsWith("avail:", StringComparison.Ordinal))
        {
            return null;
        }

        var text = id["avail:".Length..].Replace('-', '+').Replace('_', '/');
        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='))).Split('|');
        return (DateTimeOffset.Parse(parts[1], CultureInfo.InvariantCulture), DateTimeOffset.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    private static string Describe(string slotId) => RuleOption(slotId) is { } o ? $"rule option {o.Start:HH:mm}-{o.End:HH:mm}" : "Slot/" + slotId;
}
