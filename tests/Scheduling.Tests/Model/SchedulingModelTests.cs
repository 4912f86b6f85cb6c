using System.Globalization;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Xunit.Abstractions;

namespace Scheduling.Tests.Model;

// What this test finds, each fix reverted in a local patch (never committed) and the embedded model test run twice
// at its default counts (2 invocations × 18 runs per write mode, 3 per focus in turn); "1 of 2" means one of the two
// invocations failed. Rows marked *** were re-run on 2026-11-24 (session 6) with the foci rotation, Resend and the
// SlotHolding invariant; rows marked ** earlier in session 5 after the foci rotation, the reschedules focus, Tidy,
// LateAnswer and the cancelled-rule-start bias; rows marked * in session 4 (12 random-focus runs per mode); the
// others earlier, with the same invariants.
//
// | Fix reverted (the local patch)                                            | Found    | Caught by                 |
// |---------------------------------------------------------------------------|----------|---------------------------|
// | busy time over the span skipped (BusyTime.Conflicts finds nothing)        | 2 of 2   | I1                        |
// | span guards not claimed (overlapping bookings both succeed)               | 2 of 2   | I1, I5, R5                |
// | practitionerId not checked as an actor of the schedule                    | 2 of 2   | I4                        |
// | planning horizon ignored by booking                                       | 2 of 2   | I8                        |
// | inactive schedule bookable                                                | 2 of 2   | T7, I9                    |
// | rule slots written before the checks                                      | 2 of 2   | M5                        |
// | counter-proposal leaves a BOOKED appointment BOOKED                       | 2 of 2   | I7, R2                    |
// | schedule actors not made participants                                     | 2 of 2   | R2, I1                    |
// | a patient may book for another patient                                    | 2 of 2   | A1; M2, R5                |
// | ** reschedule skips the actor check (MovingAppointmentId skips it)        | 2 of 2   | I4, R2                    |
// | ** reschedule skips CanBookOn (a practitioner onto a schedule not theirs) | 2 of 2   | A1 (was: not found)       |
// | ** reschedule across two schedules (one-schedule check skipped on moves)  | 2 of 2   | I4, R2 (was: 0 of 2)      |
// | ** deleteSlots deletes a slot a cancelled appointment points to           | 2 of 2   | I6, via Tidy (was 1 of 4) |
// | ** rule slot reused matched on its start alone (search by start, no end)  | 2 of 2   | I3 (was: 0 of 2)          |
// | ** confirm on a hold past its expiry (ConfirmHandler's refusal removed)   | 2 of 2   | T4, R1, via LateAnswer    |
// | ** respond on a hold past its expiry (RespondTransition's refusal removed)| 2 of 2   | T4, R1, via LateAnswer    |
// | ** cancel on a hold past its expiry (CancelHandler's refusal removed)    | 2 of 2   | T4, R1, via LateAnswer    |
// | *** NOSHOW/FULFILLED before the start (EarliestFor null for them)         | 2 of 2   | T3, R1 (was 1 of 2)       |
// | *** nested blocks: unblock frees what another block covers                | 2 of 2   | I5, R5 (was 1 of 2)       |
// | *** createSlots zone read as a string only (valueCode ignored, UTC used)  | 2 of 2   | T8 (was 1 of 2)           |
// | *** clientMutationId reuse for another slot answers the old one           | 2 of 2   | T1, via Resend (was 0 of 2)|
// | *** patient limit checked, then written (no patient guard)                | 2 of 2   | T6, via Burst (was 1 of 2)|
// | seats not counted (BookingChecks lets any caller take a slot with seats)  | 2 of 2   | I1, R3, via BookGroup     |
// | series written occurrence by occurrence (template, then each its change)  | 1 of 1 ‡ | S1, S2, M2 (Series focus) |
// | series' span guards not claimed (the series' change claims none)         | 1 of 1 ‡ | I1 (a single rule booking |
// |                                                                           |          | over week 0), T6          |
// | cap guards keyed by each schedule's local day start and by cap kind       | 1 of 1 ‡‡| I10 (Caps focus)          |
//
// ‡‡ Session of 2026-11-25, one invocation of the embedded test with SCHEDULING_MODEL_FOCUS=Caps and
// SCHEDULING_MODEL_RUNS=12: both write modes failed by I10 (a slot-schedule booking and a rule-schedule hold of the
// practitioner on one date under a cap of 1). With a cap of 2 the same invocation found nothing: the first steps,
// sent at once, race for the day's first place only with a cap of 1.
//
// ‡ The two series rows: session 9, one invocation of the embedded test with SCHEDULING_MODEL_FOCUS=Series, both write
// modes failing (the shrunk runs: two all-or-nothing series of one time in week 1 leave a
// template with no occurrence and one with places [1]; an all-or-nothing series over the day's 15:00 and a rule
// booking there both BOOKED for the practitioner, and two series of one patient past its open-bookings limit). The
// occurrence-by-occurrence write at the default counts, no focus set (the rotation gives Series 2 of 18 runs): the
// embedded test failed in both write modes and MedplumSchedulingModelTests in 2 of its 3 cases (compensation with and
// without the sweeper; transactions passed its 4 runs), by S1, S2 and M2.
//
// On Medplum (MedplumSchedulingModelTests, its 3 cases × 4 runs, run twice; session 6): busy time over the span
// skipped, 2 of 2 (I1, in every case both times); span guards not claimed, 1 of 2 (I1 in all 3 cases, T6; the other
// invocation passed all 3 cases; not biased further).
//
// Aborts (AbortingClientsModelTests, Medplum, compensation, 4 runs, session 6): the caller's token reaching the
// writes and the undo taking back only the writes that answered (FhirChangeSet as before its fix) is found 2 of 2
// (I2: a FREE slot under a held appointment, a BUSY_TENTATIVE slot no appointment holds); with 3 runs also 2 of 2.
// Before (one request in three aborted 50 ms to 1.5 s after sending, whatever the change was doing): 0 of 1. The
// empty transaction of blockTime cannot come back by one revert (every change claims span guards, so none is empty);
// an empty change sending nothing is FhirStoreContractTests.An_empty_change_sends_nothing (embedded and Medplum,
// both write modes).

/// <summary>
/// The model-based concurrent property test of issue 11: random sequences of every scheduling operation from three
/// concurrent clients through two gateway instances on one FHIR store, then SCHEDULING.md's invariants and the
/// reference model (<see cref="ReferenceModel"/>: the acknowledged operations applied in every order real time
/// allows, its prediction compared with FHIR) checked straight from FHIR (<see cref="SchedulingInvariants"/>), and
/// the roles (some clients hold a patient's or the practitioner's token). A failure prints the shrunk
/// operations and the seed (replay with SCHEDULING_MODEL_SEED). SCHEDULING_MODEL_RUNS sets the runs per store
/// and mode for longer searches.
/// </summary>
public static class SchedulingModel
{
    public const int Clients = 3;

    /// <summary>Where blocks start when they are the focus: the middle of the day, so that they overlap.</summary>
    private static readonly Gen<int> BlockStart = Gen.Int[2, 5];

    /// <summary>An appointment to act on: mostly one of the client's own latest (what it did just before), else anyone's.</summary>
    private static readonly Gen<int> Appointment = Gen.Frequency((3, Gen.Int[0, 2]), (1, Gen.Int[OperationRunner.Own, OperationRunner.Own + 20]));

    /// <summary>
    /// Every operation with its weight under each focus. A run draws one focus, which only makes some operations
    /// likelier: holds (held, then the clock past their expiry, then answered, confirmed, cancelled), blocks (blocks
    /// inside or around the latest one, unblocks of the latest), answers (counter-proposals and answers on bookings),
    /// or none. Sequences stay random; a focus raises how often a state is reached (expired holds, nested blocks,
    /// booked appointments answered) that a uniform mix reaches too rarely to find its bugs in a dozen runs.
    /// SCHEDULING_MODEL_SKIP (comma-separated names) leaves some out.
    /// </summary>
    private static (string Name, int Weight, Gen<Op> Gen)[] Operations(Focus focus) =>
    [
        ("Book", focus == Focus.Caps ? 10 : 6, Gen.Select(Gen.Int[0, 7], Gen.Int[1, 2], focus == Focus.Holds ? Gen.Frequency((3, Gen.Const(true)), (1, Gen.Const(false))) : Gen.Bool, Gen.OneOf(0, 0, 1),
            (s, c, h, k) => (Op)new Op.Book(s, c, h, k))),
        ("BookFor", 3, Gen.Select(Gen.Int[0, 7], Gen.Int[0, 2], (s, p) => (Op)new Op.BookFor(s, p))),
        ("BookRule", focus == Focus.Rules ? 14 : focus == Focus.Caps ? 10 : 6, Gen.Select(focus == Focus.Rules ? Gen.Int[0, 3] : Gen.Int[0, 11], Gen.OneOf(30, 45, 60), Gen.Bool,
            focus == Focus.Rules ? Gen.Frequency((1, Gen.Const(true)), (1, Gen.Const(false))) : Gen.Const(false), (q, m, h, c) => (Op)new Op.BookRule(q, m, h, c))),
        ("Burst", 1, Gen.Int[0, 1].Select(s => (Op)new Op.Burst(s))),
        ("BookSeenSlot", 2, Gen.Int[0, 20].Select(i => (Op)new Op.BookSeenSlot(i))),
        ("BookShared", 3, Gen.Select(Gen.Int[0, 3], Gen.Int[1, 2], Gen.Bool, (s, c, h) => (Op)new Op.BookShared(s, c, h))),
        // Seats of the group slots: three clients, two seats each, against the practitioner's other bookings.
        ("BookGroup", focus == Focus.Seats ? 16 : focus == Focus.Caps ? 5 : 3, Gen.Select(Gen.Int[0, 1], Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true))), (s, h) => (Op)new Op.BookGroup(s, h))),
        // Several resources at once: the stranger with the colleague's room and device, against each one's other bookings.
        ("BookMulti", 3, Gen.Select(Gen.Int[0, 3], Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true))), (s, h) => (Op)new Op.BookMulti(s, h))),
        // Recurring series: weekly on the series schedule, the first week against the practitioner's day, later weeks against other series.
        ("BookSeries", focus == Focus.Series ? 14 : focus == Focus.Caps ? 4 : 2, SeriesGen),
        ("CancelSeriesFrom", focus == Focus.Series ? 5 : 1, Gen.Int[0, 20].Select(i => (Op)new Op.CancelSeriesFrom(i))),
        ("BookInactive", 1, Gen.Int[0, 1].Select(s => (Op)new Op.BookInactive(s))),
        ("BookWithStranger", 1, Gen.Int[0, 7].Select(s => (Op)new Op.BookWithStranger(s))),
        ("Confirm", focus == Focus.Holds ? 6 : 2, Appointment.Select(a => (Op)new Op.Confirm(a))),
        ("Cancel", focus is Focus.Holds or Focus.Rules or Focus.Seats or Focus.Series ? 6 : 3, Appointment.Select(a => (Op)new Op.Cancel(a))),
        ("Reschedule", focus == Focus.Reschedules ? 30 : focus == Focus.Series ? 6 : 3, Gen.Select(Appointment, focus == Focus.Reschedules ? MoveTargetsInFocus : Gen.Int[0, 11], focus == Focus.Reschedules ? MovesInFocus : Moves,
            (a, t, m) => (Op)new Op.Reschedule(a, t, m))),
        ("Respond", focus is Focus.Answers or Focus.Holds ? 8 : 3, Gen.Select(Appointment,
            focus == Focus.Answers ? Gen.OneOf("ACCEPTED", "DECLINED", "TENTATIVE", "TENTATIVE", "NEEDS_ACTION") : Gen.OneOf("ACCEPTED", "ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS_ACTION"),
            Gen.OneOf("Practitioner", "Practitioner", "Patient", "Location"),
            (a, y, w) => (Op)new Op.Respond(a, y, w))),
        ("Status", 2, Gen.Select(Appointment, Gen.OneOf("CHECKED_IN", "ARRIVED", "FULFILLED", "NOSHOW"), (a, s) => (Op)new Op.Status(a, s))),
        ("AdvanceClock", focus == Focus.Holds ? 9 : 1, Gen.OneOf(6).Select(m => (Op)new Op.AdvanceClock(m))),
        ("TimeComes", focus == Focus.Holds ? 2 : 1, Gen.OneOf(-30, 45, 120).Select(m => (Op)new Op.TimeComes(m))),
        ("Block", focus == Focus.Blocks ? 10 : 2, Gen.Select(focus == Focus.Blocks ? BlockStart : Gen.Int[0, 7], Gen.Int[1, 3], focus == Focus.Blocks ? Gen.OneOf(Nest.None, Nest.Inside, Nest.Inside, Nest.Around) : Gen.OneOf(Nest.None, Nest.None, Nest.Inside, Nest.Around),
            (s, c, n) => (Op)new Op.Block(s, c, n))),
        ("Unblock", focus == Focus.Blocks ? 20 : 2, Gen.Frequency((3, Gen.Const(0)), (1, Gen.Int[1, 5])).Select(b => (Op)new Op.Unblock(b))),
        ("CreateSlots", 1, Gen.OneOf(45, 60).Select(m => (Op)new Op.CreateSlots(m))),
        ("DeleteSlot", 1, Gen.Select(Gen.Int[0, 7], Gen.Bool, (s, c) => (Op)new Op.DeleteSlot(s, c))),
        // A cancellation, then deleteSlots on the slot it freed (still the cancelled appointment's record, I6).
        ("Tidy", focus is Focus.Rules or Focus.Holds ? 3 : 1, Appointment.Select(a => (Op)new Op.Tidy(a))),
        // A booking sent again with its clientMutationId, for the same slot (a third of them) or another: reuse is not left to chance.
        ("Resend", 2, Gen.Select(Gen.Int[0, 7], Gen.Frequency((1, Gen.Const(-1)), (2, Gen.Int[0, 7])), (s, a) => (Op)new Op.Resend(s, a < 0 ? s : a))),
        // A hold, the clock past its expiry, then an answer on it: confirm, accept or cancel.
        ("LateAnswer", focus == Focus.Holds ? 4 : 0, Gen.Select(Gen.Int[0, 7], Gen.Int[0, 2], (s, a) => (Op)new Op.LateAnswer(s, a))),
    ];

    /// <summary>
    /// A series: its start (the first four half hours likelier, where the day's other bookings are), its first week
    /// (0: the world's day, racing single bookings; 1: a week on, racing only other series), 1 to 3 weekly
    /// occurrences, all-or-nothing two times in three.
    /// </summary>
    private static readonly Gen<Op> SeriesGen = Gen.Select(Gen.Frequency((3, Gen.Int[0, 3]), (1, Gen.Int[4, 7])), Gen.Int[0, 1], Gen.Frequency((1, Gen.Const(1)), (3, Gen.Const(2)), (2, Gen.Const(3))),
        Gen.Frequency((2, Gen.Const(true)), (1, Gen.Const(false))), (h, w, c, a) => (Op)new Op.BookSeries(h, w, c, a));

    /// <summary>Where a reschedule moves to: real slots, a rule option, the stranger's schedule, two schedules at once, the inactive schedule.</summary>
    private static readonly Gen<MoveTo> Moves = Gen.OneOf(MoveTo.Slots, MoveTo.Rule, MoveTo.Slots, MoveTo.Rule, MoveTo.Stranger, MoveTo.TwoSchedules, MoveTo.Inactive);

    /// <summary>
    /// With reschedules the focus, the moves that only a check of the move refuses (onto the stranger's schedule, across
    /// two schedules) are as likely as the ordinary ones.
    /// </summary>
    private static readonly Gen<MoveTo> MovesInFocus = Gen.OneOf(MoveTo.Slots, MoveTo.Rule, MoveTo.Stranger, MoveTo.Stranger, MoveTo.Stranger, MoveTo.TwoSchedules, MoveTo.TwoSchedules, MoveTo.TwoSchedules, MoveTo.Inactive);

    /// <summary>
    /// Odd targets likelier: a two-schedule move with an odd target asks for a rule option and then a real slot, so the
    /// rule schedule is read and offers the option; only the one-schedule check refuses it.
    /// </summary>
    private static readonly Gen<int> MoveTargetsInFocus = Gen.Frequency((2, Gen.Int[0, 5].Select(i => (2 * i) + 1)), (1, Gen.Int[0, 11]));

    /// <summary>Operations left out by default (none: every operation goes through the booking core). SCHEDULING_MODEL_SKIP overrides it.</summary>
    private const string LeftOut = "";

    private static Gen<Op> Operation(Focus focus) => Gen.Frequency<Op>(
    [
        .. Operations(focus)
            .Where(o => !(Environment.GetEnvironmentVariable("SCHEDULING_MODEL_SKIP") ?? LeftOut).Split(',').Contains(o.Name))
            .Where(o => o.Weight > 0).Select(o => (o.Weight, (IGen<Op>)o.Gen)),
    ]);

    /// <summary>
    /// With aborts, two requests in three (a client's first step, a booking, too) are ones the client goes away from
    /// (<see cref="Op.GoAway"/>) at a point drawn across the writes of its change (timed from the first, as
    /// <see cref="AbortingClientsModelTests"/> measured them under its FHIR latency): a write in flight when its
    /// caller goes away is where a change can be left half done.
    /// </summary>
    private static Gen<Op> Aborting(Gen<Op> operations) => Gen.Frequency((1, operations), (2, Gen.Select(operations, Gen.Int[0, 1000],
        (op, into) => op is Op.AdvanceClock or Op.TimeComes or Op.Burst or Op.Steps ? op : new Op.GoAway(op, into))));

    /// <summary>
    /// A client's first step makes something the rest can act on (a booking, a hold or a block, as the focus has
    /// it): steps that need an appointment or a block return at once when there is none, so without this most of them
    /// would run before the first booking had answered.
    /// </summary>
    private static Gen<Op> Maker(Focus focus) => focus switch
    {
        Focus.Blocks => Gen.Select(BlockStart, Gen.Int[1, 3], (s, c) => (Op)new Op.Block(s, c)),
        Focus.Holds => Gen.OneOf(Gen.Select(Gen.Int[0, 7], Gen.Int[1, 2], (s, c) => (Op)new Op.Book(s, c, true)),
            Gen.Select(Gen.Int[0, 11], Gen.OneOf(30, 60), (q, m) => (Op)new Op.BookRule(q, m, true))),
        Focus.Rules => Gen.Select(Gen.Int[0, 3], Gen.OneOf(30, 45, 60), (q, m) => (Op)new Op.BookRule(q, m, false)),
        Focus.Seats => Gen.Select(Gen.Int[0, 1], Gen.Bool, (s, h) => (Op)new Op.BookGroup(s, h)),
        Focus.Series => SeriesGen,
        Focus.Reschedules => Gen.OneOf(Gen.Select(Gen.Int[0, 7], Gen.Int[1, 2], (s, c) => (Op)new Op.Book(s, c, false)),
            Gen.Select(Gen.Int[0, 11], Gen.OneOf(30, 60), (q, m) => (Op)new Op.BookRule(q, m, false))),
        _ => Gen.OneOf(Gen.Select(Gen.Int[0, 7], Gen.Int[1, 2], Gen.Bool, (s, c, h) => (Op)new Op.Book(s, c, h)),
            Gen.Select(Gen.Int[0, 11], Gen.OneOf(30, 45, 60), Gen.Bool, (q, m, h) => (Op)new Op.BookRule(q, m, h))),
    };

    /// <summary>
    /// Most clients act for the practice; some with a patient's or the practitioner's token, whose limits are checked.
    /// With reschedules the focus, the practitioner's token is the likeliest (moves onto a schedule
    /// the practitioner may not book on are refused by role, A1).
    /// </summary>
    private static Gen<Role> Roles(Focus focus) => Gen.Frequency((focus == Focus.Reschedules ? 2 : 3, Gen.Const(Role.Scheduler)), (1, Gen.Const(Role.Patient)),
        (focus == Focus.Reschedules ? 3 : 1, Gen.Const(Role.Practitioner)));

    /// <summary>
    /// The foci the plain model test takes in turn, each for its share of the runs (a random focus per run left one or
    /// two out of a dozen runs often enough to miss their bugs). SCHEDULING_MODEL_FOCUS names one for a longer search
    /// of its own (and, with SCHEDULING_MODEL_SEED, replays a failure printed under that focus).
    /// </summary>
    public static IReadOnlyList<Focus> Rotation { get; } = Enum.TryParse<Focus>(Environment.GetEnvironmentVariable("SCHEDULING_MODEL_FOCUS"), out var only) ? [only] : Enum.GetValues<Focus>();

    /// <summary>A focus drawn per run (the aborting test's few runs): each as likely, none (the plain mix) half as likely.</summary>
    private static readonly Gen<Focus> Foci = Rotation.Count == 1 ? Gen.Const(Rotation[0])
        : Gen.Frequency([(1, Gen.Const(Focus.None)), .. Rotation.Where(f => f != Focus.None).Select(f => (2, (IGen<Focus>)Gen.Const(f)))]);

    /// <summary>
    /// The runs, with or without clients that go away mid-request, under one focus or a drawn one. With aborts each
    /// run draws its FHIR latency (100–300 ms).
    /// </summary>
    public static Gen<Run> RunsOf(bool aborts, Focus? only = null) => (only is { } f ? Gen.Const(f) : Foci).SelectMany(focus => Roles(focus).Array[Clients].Select(roles => (focus, roles)))
        .SelectMany(x => Gen.Select(aborts ? Aborting(Maker(x.Item1)) : Maker(x.Item1), (aborts ? Aborting(Operation(x.Item1)) : Operation(x.Item1)).Array[0, 5],
                (first, rest) => (Op[])[first, .. rest]).Array[Clients]
            .Select(ops => new Run(x.Item1, x.Item2, ops)))
        .SelectMany(run => aborts ? Gen.Int[100, 300].Select(latency => run with { LatencyMilliseconds = latency }) : Gen.Const(run));

    public static long RunsFrom(string variable, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var runs) ? runs : fallback;

    /// <param name="runs">How many runs.</param>
    /// <param name="hooks">Another generator of runs, and what to do around each run's clients (FHIR latency, then settling and repair before the checks).</param>
    public static async Task CheckAsync(IFhirStore store, IReadOnlyList<GatewayServer> gateways, ShiftedTimeProvider clock, ITestOutputHelper output, long runs, RunHooks? hooks = null)
    {
        var tally = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        // Each focus its share of the runs, in turn (or the hooks' runs); fewer runs than foci (Medplum's) draw a focus per run.
        var batches = hooks?.Runs is { } custom ? [(custom, runs)]
            : runs < Rotation.Count ? [(RunsOf(aborts: false), runs)]
            : Rotation.Select((focus, i) => (Gen: RunsOf(aborts: false, focus), Runs: (runs / Rotation.Count) + (i < runs % Rotation.Count ? 1 : 0))).Where(b => b.Runs > 0).ToList();
        foreach (var (gen, count) in batches)
        {
            await CheckBatchAsync(gen, count);
        }

        output.WriteLine("Answers: " + string.Join(", ", tally.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key} {t.Value}")));

        Task CheckBatchAsync(Gen<Run> gen, long count) => gen.SampleAsync(
            async run =>
            {
                var clients = run.Clients;
                clock.Offset = TimeSpan.Zero;
                var world = await ModelWorld.CreateAsync(store, capped: run.Focus == Focus.Caps);
                var runner = new OperationRunner(world, clock, hooks?.Aborts is { } aborts ? (aborts.Watch, into => aborts.After(run, into)) : null);
                var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var work = clients.Select(async (ops, client) =>
                {
                    await start.Task;
                    var told = new List<Told>();
                    foreach (var op in ops)
                    {
                        // A burst's bookings go out at once, through both gateways; a tidy's steps one after the other.
                        if (op is Op.Steps steps)
                        {
                            foreach (var step in steps.InOrder())
                            {
                                told.Add(await runner.RunAsync(gateways[client % gateways.Count], step, client, run.Roles[client]));
                            }

                            continue;
                        }

                        told.AddRange(op is Op.Burst burst
                            ? await Task.WhenAll(burst.Bookings().Select((o, i) => runner.RunAsync(gateways[(client + i) % gateways.Count], o, client, run.Roles[client])))
                            : [await runner.RunAsync(gateways[client % gateways.Count], op, client, run.Roles[client])]);
                    }

                    return told;
                }).ToList();
                await (hooks?.BeforeClients?.Invoke(run) ?? Task.CompletedTask);
                start.SetResult();
                var told = (await Task.WhenAll(work)).SelectMany(t => t).ToList();
                await (hooks?.Settle?.Invoke() ?? Task.CompletedTask);
                foreach (var t in told)
                {
                    tally.AddOrUpdate($"{t.Op.GetType().Name} {(t.Succeeded ? "ok" : t.ErrorCode ?? "untyped")}", 1, (_, n) => n + 1);
                }

                if (Environment.GetEnvironmentVariable("SCHEDULING_MODEL_TRACE") is not null)
                {
                    output.WriteLine($"run, focus {run.Focus}, roles {string.Join(",", run.Roles)}:" + string.Concat(told.OrderBy(t => t.Sent)
                        .Select(t => $"{Environment.NewLine}  [{t.Sent}–{t.Acked}] client {t.Client} {t.Op}: {(t.Succeeded ? "ok " + (t.AppointmentId ?? t.BlockId) : t.ErrorCode ?? t.TopLevelError)}")));
                }

                var violations = await SchedulingInvariants.CheckAsync(store, world, told, runner.CreatedSlots, clock.GetUtcNow(), OpenLimit, runner.PatientOf);
                if (violations.Count > 0)
                {
                    throw new InvalidOperationException(string.Join(Environment.NewLine, violations.Prepend("Invariants broken:")
                        .Concat(told.OrderBy(t => t.Sent).Select(t => $"  [{t.Sent}–{t.Acked}] client {t.Client} {t.Op}: {(t.Succeeded ? "ok " + (t.AppointmentId ?? t.BlockId) : t.ErrorCode ?? t.TopLevelError)}"))));
                }
            },
            writeLine: output.WriteLine,
            seed: Environment.GetEnvironmentVariable("SCHEDULING_MODEL_SEED"),
            iter: count,
            threads: 1,
            print: run => string.Join(Environment.NewLine, run.Clients.Select((ops, i) => $"client {i} ({run.Roles[i]}): {string.Join("; ", ops.Select(o => o.ToString()))}")
                .Prepend($"focus {run.Focus}" + (run.LatencyMilliseconds > 0 ? $", FHIR latency {run.LatencyMilliseconds} ms" : string.Empty))));
    }

    /// <param name="LatencyMilliseconds">The FHIR latency the run asks for (0: none; only the aborting test sets one).</param>
    public sealed record Run(Focus Focus, Role[] Roles, Op[][] Clients, int LatencyMilliseconds = 0);

    /// <summary>
    /// What a test does differently: its runs, steps before the clients start and after they are all answered, and
    /// for <see cref="Op.GoAway"/> the gateways' <see cref="WriteWatch"/> and how long after its change's first write
    /// a client goes away in a run (from its per mille of the writes).
    /// </summary>
    public sealed record RunHooks(Gen<Run>? Runs = null, Func<Run, Task>? BeforeClients = null, Func<Task>? Settle = null, Aborts? Aborts = null);

    public sealed record Aborts(WriteWatch Watch, Func<Run, int, TimeSpan> After);

    /// <summary>A patient's open-bookings limit small enough for two clients booking for one patient to race it.</summary>
    public const int OpenLimit = 3;

    /// <param name="sweepSeconds">1: the sweeper releases expired holds at once; 3600: never, so every path must treat them as dead by itself.</param>
    public static Dictionary<string, string?> Settings(Dictionary<string, string?> settings, int sweepSeconds = 1)
    {
        settings["Booking:HoldSweepSeconds"] = sweepSeconds.ToString(CultureInfo.InvariantCulture);
        settings["Booking:MaxOpenBookingsPerPatient"] = OpenLimit.ToString(CultureInfo.InvariantCulture);
        // The model moves the gateways' clock by minutes to days (holds expire, the day comes); an interrupted-change
        // repair keyed on that clock would take every change still being written for a dead one and undo it under
        // its feet. Nothing is killed here, so repair stays out of the model (ChangeSafetyTests cover it).
        settings["Changes:RepairSweepSeconds"] = 3600.ToString(CultureInfo.InvariantCulture);
        // Every client sends a token (TestTokens): the practice's clients a scheduler's, the others a patient's or a practitioner's.
        foreach (var (key, value) in TestTokens.Settings)
        {
            settings[key] = value;
        }

        return settings;
    }
}

/// <summary>What a run makes likelier (see <see cref="SchedulingModel"/>).</summary>
public enum Focus
{
    None,
    Holds,
    Blocks,
    Answers,

    /// <summary>Rule options of the first hour, of every length, booked, cancelled and booked again over one another.</summary>
    Rules,

    /// <summary>Bookings moved, often where only a check of the move refuses: the stranger's schedule, two schedules, by the practitioner's token.</summary>
    Reschedules,

    /// <summary>Seats of the group slots booked, held, cancelled and booked again, against the practitioner's other bookings.</summary>
    Seats,

    /// <summary>Series booked over one another and over the day's bookings, cancelled from an occurrence on, their occurrences cancelled and moved one by one.</summary>
    Series,

    /// <summary>
    /// The practitioner's caps set (<see cref="ModelWorld.Capped"/>: a day cap on two schedules in two zones, a week cap
    /// on a third, none on the group schedule), single bookings, series and seats racing for the day's last places (I10).
    /// </summary>
    Caps,
}

public sealed class EmbeddedSchedulingModelTests(ITestOutputHelper output)
{
    /// <summary>Both write modes: one transaction Bundle per change (the embedded store's default) and compensation.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Random_concurrent_operations_through_two_gateways_keep_every_invariant_on_the_embedded_store(bool transactions)
    {
        var clock = new ShiftedTimeProvider();
        Dictionary<string, string?> Settings() => SchedulingModel.Settings(new() { ["Fhir:UseTransactions"] = transactions ? "true" : "false" }, sweepSeconds: 3600);
        await using var first = await GatewayServer.StartAsync(Settings(), s => s.AddSingleton<TimeProvider>(clock));
        var store = first.Services.GetRequiredService<InMemoryFhirStore>();
        await using var second = await GatewayServer.StartAsync(Settings(), s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton(store);
        });

        await SchedulingModel.CheckAsync(store, [first, second], clock, output, SchedulingModel.RunsFrom("SCHEDULING_MODEL_RUNS", 18));
    }
}

[Collection(MedplumCollection.Name)]
public sealed class MedplumSchedulingModelTests(MedplumFixture medplum, ITestOutputHelper output)
{
    /// <summary>
    /// Both write modes with no sweeper (every path must treat a hold past its expiry as dead by itself, as on the
    /// embedded store), and compensation with the sweeper releasing expired holds every second under the operations.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Random_concurrent_operations_through_two_gateways_keep_every_invariant_on_Medplum(bool transactions, bool sweeper)
    {
        var clock = new ShiftedTimeProvider();
        var settings = SchedulingModel.Settings(medplum.Settings(("Fhir:UseTransactions", transactions ? "true" : "false")), sweepSeconds: sweeper ? 1 : 3600);
        await using var first = await GatewayServer.StartAsync(settings, s => s.AddSingleton<TimeProvider>(clock));
        await using var second = await GatewayServer.StartAsync(settings, s => s.AddSingleton<TimeProvider>(clock));

        await SchedulingModel.CheckAsync(medplum.Store, [first, second], clock, output, SchedulingModel.RunsFrom("SCHEDULING_MODEL_RUNS", 4));
    }
}
