using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Scheduling.Testing;

namespace Scheduling.Tests.Model;

/// <summary>
/// One client's step. Indexes pick among the world's slots, rule options and the appointments and blocks made so far.
/// An appointment index below <see cref="OperationRunner.Own"/> counts back from the latest appointment this client
/// made (0: the latest), so a step reaches what the same client did just before (a hold, then the clock, then an
/// answer); from <see cref="OperationRunner.Own"/> on it picks among every client's appointments.
/// </summary>
public abstract record Op
{
    /// <summary>Real slots of the slot schedule; Key &gt; 0 sends clientMutationId "k{Key}" (reused across ops and slots).</summary>
    public sealed record Book(int Slot, int Count, bool Hold, int Key = 0) : Op;

    /// <summary>Books a real slot of the slot schedule for the world's patient of that index (a patient's token books only for itself).</summary>
    public sealed record BookFor(int Slot, int Patient) : Op;

    /// <summary>Books a real Slot id some answer showed (rule-made or not, maybe left FREE by a cancellation).</summary>
    public sealed record BookSeenSlot(int Index) : Op;

    /// <summary>
    /// A rule option of the rule schedule: start at Quarter × 15 min after 14:00 UTC, Minutes long; or
    /// (<paramref name="AtCancelled"/>, once there is one) at the start of the latest cancelled rule booking, whose
    /// FREE rule-made Slot of maybe another length is still there.
    /// </summary>
    public sealed record BookRule(int Quarter, int Minutes, bool Hold, bool AtCancelled = false) : Op;

    /// <summary>Real slots of the colleague's schedule, whose room is the slot schedule's too.</summary>
    public sealed record BookShared(int Slot, int Count, bool Hold) : Op;

    /// <summary>A seat on a slot of the practitioner's group schedule (capacity <see cref="ModelWorld.GroupCapacity"/>), booked or held.</summary>
    public sealed record BookGroup(int Slot, bool Hold) : Op;

    /// <summary>
    /// Several resources at once: the stranger's slot and the colleague's slot at the same time (slot ids of two
    /// schedules), taking the stranger, the colleague, the assistant, the room and the device in one appointment.
    /// </summary>
    public sealed record BookMulti(int Slot, bool Hold) : Op;

    /// <summary>
    /// A weekly series on the practitioner's series schedule: <paramref name="Count"/> occurrences, 30 minutes from
    /// 14:00 UTC + <paramref name="Half"/> × 30 min, the first on the world's day <paramref name="FirstWeek"/> weeks
    /// on; ALL_OR_NOTHING or AVAILABLE_ONLY (its comment says which, for the FHIR-side check S1). Its first week
    /// races every booking of the practitioner's day; its later weeks race other series.
    /// </summary>
    public sealed record BookSeries(int Half, int FirstWeek, int Count, bool AllOrNothing) : Op;

    /// <summary>cancelSeriesFrom on an occurrence some answer showed (counting back from the latest): it and every later one of its series.</summary>
    public sealed record CancelSeriesFrom(int Occurrence) : Op;

    /// <summary>A slot of the practitioner's inactive schedule: always refused, with the rule named.</summary>
    public sealed record BookInactive(int Slot) : Op;

    /// <summary>Books a real slot naming a practitioner who is not an actor of its schedule.</summary>
    public sealed record BookWithStranger(int Slot) : Op;

    public sealed record Confirm(int Appointment) : Op;

    public sealed record Cancel(int Appointment) : Op;

    /// <summary>Onto real slots of the slot schedule, a rule option, the stranger's schedule, or a slot plus a rule option (two schedules).</summary>
    public sealed record Reschedule(int Appointment, int Target, MoveTo To) : Op;

    /// <summary>An answer by the practitioner, the appointment's patient or the room; TENTATIVE comes with a new time (a counter-proposal).</summary>
    public sealed record Respond(int Appointment, string Answer, string Actor) : Op;

    public sealed record Status(int Appointment, string To) : Op;

    /// <summary>Moves the gateways' shared clock on, past holds' expiry.</summary>
    public sealed record AdvanceClock(int Minutes) : Op;

    /// <summary>The day comes: the clock jumps (forward only) to this many minutes after 14:00 UTC of the world's day.</summary>
    public sealed record TimeComes(int MinutesAfterStart) : Op;

    /// <summary>Slots of the slot schedule; <see cref="Nest"/> places the span inside or around the latest block instead.</summary>
    public sealed record Block(int Slot, int Count, Nest Nest = Nest.None) : Op;

    /// <summary>Counts back from the latest block still standing (0: the latest).</summary>
    public sealed record Unblock(int Index) : Op;

    /// <summary>createSlots over the slot schedule's day with another slot length (fills gaps only).</summary>
    public sealed record CreateSlots(int Minutes) : Op;

    /// <summary>
    /// deleteSlots on a real slot of the slot schedule, or (<paramref name="OfCancelled"/>, once there is one) on a
    /// slot of the latest appointment a client was told is cancelled: FREE again, yet still its record (FHIR R4 Appointment.slot).
    /// </summary>
    public sealed record DeleteSlot(int Slot, bool OfCancelled = false) : Op;

    /// <summary>
    /// One more booking than a patient's open-bookings limit, all at once for the client's patient, on every other
    /// slot of the slot schedule from <paramref name="Slot"/>: the limit must hold however they interleave.
    /// </summary>
    public sealed record Burst(int Slot) : Op
    {
        public IEnumerable<Op> Bookings() => Enumerable.Range(0, SchedulingModel.OpenLimit + 1).Select(i => (Op)new Book(Slot + (2 * i), 1, false));
    }

    /// <summary>
    /// A front desk tidying the day: cancels an appointment, then deletes the latest slot a cancellation freed (with
    /// the fix refused: a cancelled appointment's slots are its record).
    /// </summary>
    public sealed record Tidy(int Appointment) : Steps
    {
        public override IEnumerable<Op> InOrder() => [new Cancel(Appointment), new DeleteSlot(0, OfCancelled: true)];
    }

    /// <summary>
    /// A hold answered too late: holds a slot, moves the clock past the hold's expiry, then confirms it, accepts it
    /// as the practitioner or cancels it (<paramref name="Answer"/> 0, 1, 2): each must be refused as a dead hold (T4).
    /// </summary>
    public sealed record LateAnswer(int Slot, int Answer) : Steps
    {
        public override IEnumerable<Op> InOrder() =>
        [
            new Book(Slot, 1, Hold: true), new AdvanceClock(6),
            (Answer % 3) switch { 0 => new Confirm(0), 1 => new Respond(0, "ACCEPTED", "Practitioner"), _ => new Cancel(0) },
        ];
    }

    /// <summary>
    /// A client sending a booking again with its clientMutationId ("k2"): for the same slot (a retry proper, answered
    /// the first booking) or, by mistake, another (refused: the key is spent, T1).
    /// </summary>
    public sealed record Resend(int Slot, int Again) : Steps
    {
        public override IEnumerable<Op> InOrder() => [new Book(Slot, 1, Hold: false, Key: 2), new Book(Again, 1, Hold: false, Key: 2)];
    }

    /// <summary>Steps one client takes one after the other, each waiting for the answer before.</summary>
    public abstract record Steps : Op
    {
        public abstract IEnumerable<Op> InOrder();
    }

    /// <summary>
    /// The client sends <paramref name="Inner"/> and goes away (cancels its HTTP request) at a point of the change's
    /// writes: <paramref name="IntoWrites"/> per mille of the way from the first write to the last, as the test
    /// measured a change's writes to take (<see cref="SchedulingModel.RunHooks.AbortAfter"/>). Whether the change
    /// happened is unknown to the client.
    /// </summary>
    public sealed record GoAway(Op Inner, int IntoWrites) : Op;
}

public enum Nest
{
    None,

    /// <summary>One slot of the latest block's span.</summary>
    Inside,

    /// <summary>The latest block's span and one slot on each side.</summary>
    Around,
}

/// <summary>Who a client is: its token's role (a patient's token names the client's patient; a practitioner's, the world's practitioner).</summary>
public enum Role
{
    Scheduler,
    Patient,
    Practitioner,
}

public enum MoveTo
{
    Slots,
    Rule,
    Stranger,
    TwoSchedules,
    Inactive,
}

/// <summary>What a client was told.</summary>
public sealed record Told(Op Op, string? AppointmentId, string? ErrorCode, string? TopLevelError, string? BlockId = null)
{
    public bool Succeeded => ErrorCode is null && TopLevelError is null;

    /// <summary>The client went away before the answer (<see cref="Op.GoAway"/>): what it asked for may or may not have happened.</summary>
    public bool Aborted { get; init; }

    /// <summary>The clock before the request was sent and after its answer came: the server's "now" lies between.</summary>
    public DateTimeOffset Before { get; init; }

    public DateTimeOffset After { get; init; }

    /// <summary>The appointment the answer showed, the one an appointment operation was about, and what was asked for.</summary>
    public JsonNode? Appointment { get; init; }

    public string? Target { get; init; }

    public string? PatientId { get; init; }

    public string? Key { get; init; }

    public IReadOnlyList<string> AskedSlots { get; init; } = [];

    /// <summary>The rule a ValidationError named, if any.</summary>
    public string? Rule { get; init; }

    /// <summary>The client, its role, and the order its request went out and its answer came back among all clients'.</summary>
    public int Client { get; init; }

    public Role Role { get; init; }

    public long Sent { get; init; }

    public long Acked { get; init; }

    /// <summary>The span a blockTime asked for.</summary>
    public (DateTimeOffset Start, DateTimeOffset End)? BlockSpan { get; init; }

    /// <summary>The participant a respondToAppointment answered for (Practitioner/1, Patient/2 ...).</summary>
    public string? AnsweredAs { get; init; }

    /// <summary>When the slots a createSlots made start, as it answered.</summary>
    public IReadOnlyList<DateTimeOffset> CreatedStarts { get; init; } = [];

    /// <summary>A series' occurrences as bookSeries answered them (its <see cref="AppointmentId"/> is the series' template).</summary>
    public IReadOnlyList<JsonNode> Occurrences { get; init; } = [];

    /// <summary>The places (recurrenceIds) bookSeries AVAILABLE_ONLY left out, each with its error's code.</summary>
    public IReadOnlyList<(int Place, string? Code)> Skipped { get; init; } = [];

    /// <summary>The occurrences cancelSeriesFrom answered cancelled, and the template's status it answered.</summary>
    public IReadOnlyList<string> Cancelled { get; init; } = [];

    public string? TemplateStatus { get; init; }

    /// <summary>Every appointment the answer reported: the one made or changed, a series' occurrences and template.</summary>
    public IEnumerable<string> Reported => [.. AppointmentId is { } id ? [id] : Array.Empty<string>(), .. Occurrences.Select(IdOf).OfType<string>(), .. Cancelled];

    public static string? IdOf(JsonNode? appointment) => appointment?["id"]?.GetValue<string>();
}

/// <summary>Runs operations over GraphQL against a <see cref="ModelWorld"/>; what each was told is kept for the checks.</summary>
/// <param name="aborts">For <see cref="Op.GoAway"/>: the gateways' <see cref="WriteWatch"/>, and how long after its change's first write a client goes away, from its per mille of the writes.</param>
public sealed class OperationRunner(ModelWorld world, ShiftedTimeProvider clock, (WriteWatch Watch, Func<int, TimeSpan> After)? aborts = null)
{
    /// <summary>The patients in play: clients 0 and 2 book for the same one, so a patient's limit is raced.</summary>
    public const int Patients = 2;

    /// <summary>Appointment indexes below this count back from the client's own latest appointment.</summary>
    public const int Own = 10;

    private const string AppointmentFields = "id: fhirId status start end holdExpiresAt slots { id: fhirId } " +
        "participants { required status actor { __typename ... on Practitioner { id: fhirId } ... on Patient { id: fhirId } ... on Location { id: fhirId } ... on HealthcareService { id: fhirId } ... on OtherActor { reference } } }";

    private const string AppointmentSelection = "appointment { " + AppointmentFields + " }";

    private readonly List<string> _appointments = [];
    private readonly List<string> _occurrences = [];
    private readonly Dictionary<string, string> _patientOf = [];
    private readonly List<string> _seenSlots = [];
    private readonly List<string> _cancelledSlots = [];
    private readonly HashSet<string> _ruleMade = [];
    private readonly List<DateTimeOffset> _cancelledRuleStarts = [];
    private readonly List<(string Id, int First, int Count)> _blocks = [];
    private readonly Dictionary<int, List<string>> _own = [];
    private readonly Lock _gate = new();
    private long _sequence;

    public List<string> Appointments
    {
        get
        {
            lock (_gate)
            {
                return [.. _appointments];
            }
        }
    }

    public List<string> CreatedSlots { get; } = [];

    /// <summary>The patient a client books for (and, with a patient's token, is).</summary>
    public string PatientOf(int client) => world.Patients[client % Patients].Id!;

    /// <summary>Runs one step as <paramref name="client"/> with its role's token (none when roles are off).</summary>
    public async Task<Told> RunAsync(GatewayServer gateway, Op op, int client, Role? role = null)
    {
        var patientId = PatientOf(client);
        _caller.Value = (role switch
        {
            Role.Patient => TestTokens.Patient(patientId),
            Role.Practitioner => TestTokens.Practitioner(world.Practitioner.Id!),
            Role.Scheduler => TestTokens.Scheduler(),
            _ => null,
        }, client, CancellationToken.None, null);
        var before = clock.GetUtcNow();
        var sent = Interlocked.Increment(ref _sequence);
        Told told;
        if (op is Op.GoAway away)
        {
            told = await GoAwayAsync(gateway, away, patientId);
        }
        else
        {
            told = await RunOpAsync(gateway, op, patientId);
        }

        told = told with
        {
            Before = before, After = clock.GetUtcNow(), PatientId = told.PatientId ?? patientId,
            Client = client, Role = role ?? Role.Scheduler, Sent = sent, Acked = Interlocked.Increment(ref _sequence),
        };
        Learn(told);
        return told;
    }

    /// <summary>One runner serves every client; each client's steps run one after another on its own async flow, which carries its token.</summary>
    private readonly AsyncLocal<(string? Token, int Client, CancellationToken Abort, string? Mark)> _caller = new();

    /// <summary>Sends the step marked for the <see cref="WriteWatch"/>, and goes away its per mille of the writes after its change's first write.</summary>
    private async Task<Told> GoAwayAsync(GatewayServer gateway, Op.GoAway away, string patientId)
    {
        var (watch, after) = aborts ?? throw new InvalidOperationException("GoAway needs the hooks' Aborts");
        var (mark, firstWrite) = watch.Expect();
        using var abort = new CancellationTokenSource();
        var armed = firstWrite.ContinueWith(_ => abort.CancelAfter(after(away.IntoWrites)), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        _caller.Value = _caller.Value with { Abort = abort.Token, Mark = mark };
        var told = await RunOpAsync(gateway, away.Inner, patientId);
        watch.Forget(mark);
        await armed.ContinueWith(_ => { }, TaskScheduler.Default);
        return told.Aborted ? told with { Op = away } : told;
    }

    private async Task<Told> RunOpAsync(GatewayServer gateway, Op op, string patientId) => op switch
    {
        Op.BookFor b => await TakeAsync(gateway, op, world.SlotRun(b.Slot, 1), world.Patients[b.Patient % world.Patients.Count].Id!, false, null, null),
        Op.Book b => await TakeAsync(gateway, op, world.SlotRun(b.Slot, b.Count), patientId, b.Hold, null, b.Key > 0 ? "k" + b.Key : null),
        Op.BookSeenSlot s => SeenSlot(s.Index) is { } seen ? await TakeAsync(gateway, op, [seen], patientId, false, null, null) : new Told(op, null, "NO_SLOT_SEEN_YET", null),
        Op.BookRule r => await TakeAsync(gateway, op, [RuleTarget(r)], patientId, r.Hold, null, null),
        Op.BookShared b => await TakeAsync(gateway, op, world.SharedSlotRun(b.Slot, b.Count), patientId, b.Hold, null, null),
        Op.BookInactive b => await TakeAsync(gateway, op, world.InactiveSlotRun(b.Slot), patientId, false, null, null),
        Op.BookGroup g => await TakeAsync(gateway, op, world.GroupSlotRun(g.Slot), patientId, g.Hold, null, null),
        Op.BookMulti m => await TakeAsync(gateway, op, world.MultiSlotRun(m.Slot), patientId, m.Hold, null, null),
        Op.BookSeries s => await BookSeriesAsync(gateway, s, patientId),
        Op.CancelSeriesFrom c => Occurrence(c.Occurrence) is { } occurrence
            ? await MutateAsync(gateway, op, "cancelSeriesFrom", "CancelSeriesFromInput", new { appointmentId = occurrence, reason = "model" },
                "cancelled { " + AppointmentFields + " } series { template { id: fhirId status } }") with { Target = occurrence }
            : new Told(op, null, "NO_APPOINTMENT_YET", null),
        Op.BookWithStranger s => await TakeAsync(gateway, op, world.SlotRun(s.Slot, 1), patientId, false, world.Stranger.Id, null),
        Op.Confirm c => await AppointmentAsync(gateway, op, c.Appointment, "confirmAppointment", "ConfirmAppointmentInput", id => new { appointmentId = id }),
        Op.Cancel c => await AppointmentAsync(gateway, op, c.Appointment, "cancelAppointment", "CancelAppointmentInput", id => new { appointmentId = id, reason = "model" }),
        Op.Reschedule r => await AppointmentAsync(gateway, op, r.Appointment, "rescheduleAppointment", "RescheduleAppointmentInput",
            id => new { appointmentId = id, slotIds = MoveTargets(r) }) with { AskedSlots = MoveTargets(r) },
        Op.Respond r => await AppointmentAsync(gateway, op, r.Appointment, "respondToAppointment", "RespondToAppointmentInput", id => Answer(id, r)) is var answered && answered.Target is { } target
            ? answered with { AnsweredAs = AnswerAs(target, r) } : answered,
        Op.Status s => await AppointmentAsync(gateway, op, s.Appointment, "changeAppointmentStatus", "ChangeAppointmentStatusInput", id => new { appointmentId = id, status = s.To }),
        Op.AdvanceClock a => Advance(op, a.Minutes),
        Op.TimeComes t => Advance(op, (int)Math.Max(0, (world.DayStart.AddMinutes(t.MinutesAfterStart) - clock.GetUtcNow()).TotalMinutes)),
        Op.Block b => await BlockAsync(gateway, op, b),
        Op.Unblock u => await UnblockAsync(gateway, op, u),
        Op.CreateSlots c => await CreateSlotsAsync(gateway, op, c.Minutes),
        Op.DeleteSlot d => await DeleteSlotAsync(gateway, op, DeleteTarget(d)),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private async Task<Told> BookSeriesAsync(GatewayServer gateway, Op.BookSeries s, string patientId)
    {
        var first = world.Day.AddDays(7 * s.FirstWeek);
        var start = new TimeOnly(14, 0).AddMinutes(30 * (s.Half % 8));
        var told = await MutateAsync(gateway, s, "bookSeries", "BookSeriesInput", new
        {
            scheduleId = world.SeriesSchedule.Id,
            patientId,
            firstDate = first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            startTime = start.ToString("HH:mm", CultureInfo.InvariantCulture),
            minutes = 30,
            recurrence = new { count = s.Count },
            mode = s.AllOrNothing ? "ALL_OR_NOTHING" : "AVAILABLE_ONLY",
            comment = s.AllOrNothing ? ModelWorld.AllOrNothingComment : ModelWorld.AvailableOnlyComment,
        }, "series { template { id: fhirId status } } occurrences { " + AppointmentFields + " } skipped { recurrenceId reason { code } }");
        return told with { PatientId = patientId };
    }

    private string? Occurrence(int index)
    {
        lock (_gate)
        {
            return _occurrences.Count == 0 ? null : _occurrences[^(1 + (index % _occurrences.Count))];
        }
    }

    private async Task<Told> DeleteSlotAsync(GatewayServer gateway, Op op, string[] slotIds) =>
        await MutateAsync(gateway, op, "deleteSlots", "DeleteSlotsInput", new { slotIds }, "deletedSlotIds") with { AskedSlots = slotIds };

    private string RuleTarget(Op.BookRule r)
    {
        lock (_gate)
        {
            return r.AtCancelled && _cancelledRuleStarts.Count > 0 ? world.RuleOptionAt(_cancelledRuleStarts[^1], r.Minutes) : world.RuleOption(r.Quarter, r.Minutes);
        }
    }

    /// <summary>The slot a DeleteSlot aims at: one of the latest two slots of cancelled appointments, or a real slot.</summary>
    private string[] DeleteTarget(Op.DeleteSlot d)
    {
        lock (_gate)
        {
            return d.OfCancelled && _cancelledSlots.Count > 0 ? [_cancelledSlots[^(1 + (d.Slot % Math.Min(2, _cancelledSlots.Count)))]] : world.SlotRun(d.Slot, 1);
        }
    }

    private string[] MoveTargets(Op.Reschedule r) => r.To switch
    {
        MoveTo.Rule => [world.RuleOption(r.Target % 12, 30)],
        MoveTo.Stranger => world.StrangerSlotRun(r.Target),
        MoveTo.Inactive => world.InactiveSlotRun(r.Target),
        // A slot then the rule option after it, or (odd targets) the rule option before a slot then the slot: the first decides which schedule is read.
        MoveTo.TwoSchedules when r.Target % 2 == 0 => [world.SlotRun(r.Target % (ModelWorld.SlotCount - 1), 1)[0], world.RuleOptionAt(world.SlotSpan(r.Target % (ModelWorld.SlotCount - 1), 1).End, 30)],
        MoveTo.TwoSchedules => [world.RuleOptionAt(world.SlotSpan(1 + (r.Target % (ModelWorld.SlotCount - 1)), 1).Start.AddMinutes(-30), 30), world.SlotRun(1 + (r.Target % (ModelWorld.SlotCount - 1)), 1)[0]],
        _ => world.SlotRun(r.Target, 1),
    };

    private string AnswerAs(string id, Op.Respond r)
    {
        string? patient;
        lock (_gate)
        {
            patient = _patientOf.GetValueOrDefault(id);
        }

        return r.Actor switch
        {
            "Patient" => "Patient/" + patient,
            "Location" => "Location/" + world.Location.Id,
            _ => "Practitioner/" + world.Practitioner.Id,
        };
    }

    private object Answer(string id, Op.Respond r)
    {
        var actor = AnswerAs(id, r);
        var (start, end) = world.SlotSpan(id.Length % ModelWorld.SlotCount, 1);
        return r.Answer == "TENTATIVE"
            ? new { appointmentId = id, actorId = actor, participantStatus = r.Answer, start = Iso(start), end = Iso(end) }
            : (object)new { appointmentId = id, actorId = actor, participantStatus = r.Answer };
    }

    /// <summary>Keeps what answers showed: appointments made (and whose), real slot ids seen.</summary>
    private void Learn(Told told)
    {
        lock (_gate)
        {
            if (IsBooking(told.Op) && told.AppointmentId is { } id && !_appointments.Contains(id))
            {
                _appointments.Add(id);
                _patientOf[id] = told.PatientId!;
                if (told.Op is Op.BookRule)
                {
                    _ruleMade.Add(id);
                }

                if (!_own.TryGetValue(told.Client, out var own))
                {
                    _own[told.Client] = own = [];
                }

                own.Add(id);
            }

            // A series' occurrences are appointments like any booking's (cancelled, moved, answered on their own), and CancelSeriesFrom's aim.
            foreach (var occurrence in told.Occurrences.Select(Told.IdOf).OfType<string>().Where(o => !_appointments.Contains(o)))
            {
                _appointments.Add(occurrence);
                _occurrences.Add(occurrence);
                _patientOf[occurrence] = told.PatientId!;
                if (!_own.TryGetValue(told.Client, out var own))
                {
                    _own[told.Client] = own = [];
                }

                own.Add(occurrence);
            }

            if (told.Succeeded && told.Appointment?["status"]?.GetValue<string>() == "CANCELLED" && told.Target is { } cancelled && _ruleMade.Contains(cancelled) &&
                told.Appointment["start"]?.GetValue<string>() is { } start)
            {
                _cancelledRuleStarts.Add(DateTimeOffset.Parse(start, CultureInfo.InvariantCulture));
            }

            foreach (var (slot, shown) in (told.Appointment is { } one ? [one] : told.Occurrences)
                         .SelectMany(a => (a["slots"] as JsonArray ?? []).Select(s => (Id: s?["id"]?.GetValue<string>(), Status: a["status"]?.GetValue<string>())))
                         .Where(x => x.Id is not null).Select(x => (x.Id!, x.Status)))
            {
                if (!_seenSlots.Contains(slot))
                {
                    _seenSlots.Add(slot);
                }

                // The slots of an appointment told cancelled: FREE again but still its record, for DeleteSlot to aim at.
                if (told.Succeeded && shown == "CANCELLED")
                {
                    _cancelledSlots.Add(slot);
                }
            }
        }
    }

    /// <summary>The operations that make an appointment.</summary>
    public static bool IsBooking(Op op) => op is Op.Book or Op.BookFor or Op.BookRule or Op.BookWithStranger or Op.BookSeenSlot or Op.BookShared or Op.BookInactive or Op.BookGroup or Op.BookMulti;

    private string? SeenSlot(int index)
    {
        lock (_gate)
        {
            return _seenSlots.Count == 0 ? null : _seenSlots[index % _seenSlots.Count];
        }
    }

    private Told Advance(Op op, int minutes)
    {
        clock.Offset += TimeSpan.FromMinutes(minutes);
        return new Told(op, null, null, null);
    }

    private async Task<Told> TakeAsync(GatewayServer gateway, Op op, string[] slotIds, string patientId, bool hold, string? practitionerId, string? key)
    {
        var told = hold
            ? await MutateAsync(gateway, op, "holdSlots", "HoldSlotsInput", new { slotIds, patientId, holdMinutes = 5, clientMutationId = key }, AppointmentSelection)
            : await MutateAsync(gateway, op, "bookAppointment", "BookAppointmentInput", new { slotIds, patientId, practitionerId, clientMutationId = key }, AppointmentSelection);
        return told with { PatientId = patientId, Key = key, AskedSlots = slotIds };
    }

    private async Task<Told> AppointmentAsync(GatewayServer gateway, Op op, int index, string mutation, string inputType, Func<string, object> input)
    {
        string? id;
        lock (_gate)
        {
            var own = _own.GetValueOrDefault(_caller.Value.Client) ?? [];
            id = index < Own && own.Count > 0 ? own[^(1 + (index % own.Count))]
                : _appointments.Count == 0 ? null : _appointments[index % _appointments.Count];
        }

        return id is null ? new Told(op, null, "NO_APPOINTMENT_YET", null)
            : await MutateAsync(gateway, op, mutation, inputType, input(id), AppointmentSelection) with { Target = id };
    }

    private async Task<Told> BlockAsync(GatewayServer gateway, Op op, Op.Block block)
    {
        var (first, count) = (block.Slot % ModelWorld.SlotCount, block.Count);
        lock (_gate)
        {
            if (block.Nest != Nest.None && _blocks.Count > 0)
            {
                var latest = _blocks[^1];
                (first, count) = block.Nest == Nest.Inside
                    ? (latest.First + (block.Slot % latest.Count), 1)
                    : (Math.Max(0, latest.First - 1), Math.Min(ModelWorld.SlotCount, latest.First + latest.Count + 1) - Math.Max(0, latest.First - 1));
            }
        }

        count = Math.Max(1, Math.Min(count, ModelWorld.SlotCount - first));
        var (start, end) = world.SlotSpan(first, count);
        var told = await MutateAsync(gateway, op, "blockTime", "BlockTimeInput",
            new { scheduleId = world.SlotSchedule.Id, start = Iso(start), end = Iso(end) }, "slot { id: fhirId }") with { BlockSpan = (start, end) };
        if (told.Succeeded && told.BlockId is { } id)
        {
            lock (_gate)
            {
                _blocks.Add((id, first, count));
            }
        }

        return told;
    }

    private async Task<Told> UnblockAsync(GatewayServer gateway, Op op, Op.Unblock unblock)
    {
        string? id;
        lock (_gate)
        {
            id = _blocks.Count == 0 ? null : _blocks[^(1 + (unblock.Index % _blocks.Count))].Id;
        }

        return id is null ? new Told(op, null, "NO_BLOCK_YET", null)
            : await MutateAsync(gateway, op, "unblockTime", "UnblockTimeInput", new { slotId = id }, "freedSlotIds") with { Target = id } is var told && told.Succeeded
                ? Forget(id, told) : told;
    }

    /// <summary>An unblocked block is no longer the latest to nest in or to unblock.</summary>
    private Told Forget(string block, Told told)
    {
        lock (_gate)
        {
            _blocks.RemoveAll(b => b.Id == block);
        }

        return told;
    }

    private async Task<Told> CreateSlotsAsync(GatewayServer gateway, Op op, int minutes)
    {
        var day = world.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var told = await MutateAsync(gateway, op, "createSlots", "CreateSlotsInput", new
        {
            scheduleId = world.SlotSchedule.Id,
            from = day,
            to = day,
            daysOfWeek = new[] { world.Day.DayOfWeek.ToString().ToUpperInvariant() },
            startTime = "13:00",
            endTime = "19:00",
            slotMinutes = minutes,
        }, "count slots { id: fhirId start }");
        return told;
    }

    private async Task<Told> MutateAsync(GatewayServer gateway, Op op, string mutation, string inputType, object input, string selection)
    {
        var query = $"mutation($input: {inputType}!) {{ {mutation}(input: $input) {{ {selection} errors {{ ... on Error {{ code }} ... on ValidationError {{ rule }} }} }} }}";
        JsonObject response;
        try
        {
            response = await gateway.QueryAsync(query, new { input }, _caller.Value.Token,
                _caller.Value.Mark is { } mark ? new Dictionary<string, string> { [WriteWatch.Header] = mark } : null, _caller.Value.Abort);
        }
        catch (OperationCanceledException) when (_caller.Value.Abort.IsCancellationRequested)
        {
            return new Told(op, null, "ABORTED", null) { Aborted = true };
        }

        if (response["errors"] is JsonArray { Count: > 0 } errors)
        {
            // A refusal by role is a request error with its code (FORBIDDEN), as for a read of what is not the caller's.
            return errors.All(e => e.At("extensions.code")?.GetValue<string>() == "FORBIDDEN")
                ? new Told(op, null, "FORBIDDEN", null)
                : new Told(op, null, null, errors.ToJsonString());
        }

        var payload = response.At("data." + mutation);
        var code = payload.At("errors.0.code")?.GetValue<string>();
        var appointmentId = code is null ? (payload.At("appointment.id") ?? payload.At("series.template.id"))?.GetValue<string>() : null;
        if (code is null && payload.At("slots") is JsonArray created)
        {
            lock (_gate)
            {
                CreatedSlots.AddRange(created.Select(s => s!["id"]!.GetValue<string>()));
            }
        }

        var createdStarts = code is null && payload.At("slots") is JsonArray made
            ? made.Select(s => s?["start"]?.GetValue<string>()).OfType<string>().Select(s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture)).ToList()
            : [];
        return new Told(op, appointmentId, code, null, payload.At("slot.id")?.GetValue<string>())
        {
            Appointment = code is null ? payload?["appointment"]?.DeepClone() : null,
            Rule = payload.At("errors.0.rule")?.GetValue<string>(),
            CreatedStarts = createdStarts,
            Occurrences = code is null ? [.. (payload.At("occurrences") as JsonArray ?? []).OfType<JsonNode>().Select(o => o.DeepClone())] : [],
            Skipped = code is null ? [.. (payload.At("skipped") as JsonArray ?? []).OfType<JsonNode>().Select(k => (k["recurrenceId"]!.GetValue<int>(), k.At("reason.code")?.GetValue<string>()))] : [],
            Cancelled = code is null ? [.. (payload.At("cancelled") as JsonArray ?? []).Select(Told.IdOf).OfType<string>()] : [],
            TemplateStatus = code is null ? payload.At("series.template.status")?.GetValue<string>() : null,
        };
    }

    private static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);

    /// <summary>The id availability gives a rule option: schedule, start and end, base64url (the gateway's documented format).</summary>
    public static string RuleOptionId(string scheduleId, DateTimeOffset start, DateTimeOffset end) =>
        "avail:" + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{scheduleId}|{start:O}|{end:O}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
