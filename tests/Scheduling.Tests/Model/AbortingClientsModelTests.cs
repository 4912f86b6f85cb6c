using System.Diagnostics;
using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Xunit.Abstractions;

namespace Scheduling.Tests.Model;

/// <summary>
/// The model test with aborts as operations (issue 11, item 4): on Medplum in compensation mode (writes one by one,
/// <c>Fhir:UseTransactions=false</c>) with 100–300 ms of FHIR latency per run before every FHIR answer, two requests
/// in three are ones their client goes away from (<see cref="Op.GoAway"/>) at a point drawn across the change's
/// writes, timed from its first write (<see cref="WriteWatch"/>): first a booking alone measures how many FHIR
/// requests its change writes and what each costs beyond the latency on this machine (<see cref="WritePhase"/>). Once every client has its answer (or has
/// gone), the gateways are given the time to finish or undo what they started, then the interrupted-change repair
/// runs once, as a sweeper would; only then the invariants are checked straight from FHIR. What a client that went
/// away did not learn is not checked (see <see cref="SchedulingInvariants"/>). Fewer runs than the plain model test:
/// each takes seconds of latency. SCHEDULING_ABORT_RUNS sets the runs.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class AbortingClientsModelTests(MedplumFixture medplum, ITestOutputHelper output)
{
    /// <summary>The latency the lone booking is measured under.</summary>
    private const int MeasuredLatency = 200;

    /// <summary>The change deadlines: a change writes or undoes for at most this long; repair waits for more than twice it.</summary>
    private const int WriteSeconds = 4;

    private const int RepairGraceSeconds = 9;

    [Fact]
    public async Task Clients_going_away_mid_mutation_under_FHIR_latency_leave_every_invariant_whole_after_repair()
    {
        var clock = new ShiftedTimeProvider();
        var settings = SchedulingModel.Settings(medplum.Settings(("Fhir:UseTransactions", "false"),
            ("Changes:WriteSeconds", WriteSeconds.ToString(CultureInfo.InvariantCulture)),
            ("Changes:RepairGraceSeconds", RepairGraceSeconds.ToString(CultureInfo.InvariantCulture))), sweepSeconds: 3600);
        var watch = new WriteWatch();
        await using var first = await GatewayServer.StartAsync(settings, s => Watched(s, clock, watch));
        await using var second = await GatewayServer.StartAsync(settings, s => Watched(s, clock, watch));
        var runStart = DateTimeOffset.MinValue;
        try
        {
            var writes = await MeasureWritePhaseAsync(first, clock);
            await SchedulingModel.CheckAsync(medplum.Store, [first, second], clock, output, SchedulingModel.RunsFrom("SCHEDULING_ABORT_RUNS", 4), new SchedulingModel.RunHooks(
                SchedulingModel.RunsOf(aborts: true),
                async run =>
                {
                    runStart = clock.GetUtcNow();
                    await medplum.Server.LatencyAsync(run.LatencyMilliseconds);
                },
                async () =>
                {
                    await medplum.Server.LatencyAsync(0);
                    await SettleAndRepairAsync(first, clock, runStart);
                },
                new SchedulingModel.Aborts(watch, (run, intoWrites) => writes.At(run.LatencyMilliseconds, intoWrites))));
        }
        finally
        {
            await medplum.Server.LatencyAsync(0);
        }
    }

    private static void Watched(IServiceCollection services, TimeProvider clock, WriteWatch watch)
    {
        services.AddSingleton(clock);
        watch.Watch(services);
    }

    /// <summary>How long a change's writes take: <paramref name="Writes"/> FHIR requests, each the latency plus <paramref name="OverheadMilliseconds"/>.</summary>
    private sealed record WritePhase(int Writes, double OverheadMilliseconds)
    {
        /// <summary>How long after its change's first write a client goes away to land <paramref name="intoWrites"/> per mille of the way through the writes.</summary>
        public TimeSpan At(int latency, int intoWrites) => TimeSpan.FromMilliseconds(intoWrites / 1000.0 * Writes * (latency + OverheadMilliseconds));
    }

    /// <summary>A booking alone under <see cref="MeasuredLatency"/>: which of its FHIR requests write, and how long each took.</summary>
    private async Task<WritePhase> MeasureWritePhaseAsync(GatewayServer gateway, ShiftedTimeProvider clock)
    {
        var world = await ModelWorld.CreateAsync(medplum.Store);
        await medplum.Server.LatencyAsync(MeasuredLatency);
        await medplum.Server.ResetCountsAsync();
        var watch = Stopwatch.StartNew();
        var told = await new OperationRunner(world, clock).RunAsync(gateway, new Op.Book(0, 1, Hold: false), 0, Role.Scheduler);
        watch.Stop();
        await medplum.Server.LatencyAsync(0);
        var requests = await medplum.Server.RequestsAsync();
        Assert.True(told.Succeeded, "the measured booking failed: " + (told.ErrorCode ?? told.TopLevelError));
        // The change is the last run of writes (its intent, the slot, the appointment, the span guards, the intent
        // gone); the guards created on first use before it and the reads of the answer after it are not.
        var isWrite = requests.Select(r => !r.StartsWith("GET ", StringComparison.Ordinal)).ToList();
        var last = isWrite.LastIndexOf(true);
        var first = isWrite.LastIndexOf(false, Math.Max(0, last)) + 1;
        var phase = new WritePhase(last + 1 - first, Math.Max(0, (watch.Elapsed.TotalMilliseconds / requests.Count) - MeasuredLatency));
        output.WriteLine($"a booking alone at {MeasuredLatency} ms: {watch.ElapsedMilliseconds} ms, {requests.Count} FHIR requests, writes #{first + 1} to #{last + 1} " +
            $"({phase.OverheadMilliseconds:F0} ms each beyond the latency): {string.Join(" | ", requests.Select(r => r.Split('?')[0]))}");
        return phase;
    }

    /// <summary>
    /// Waits until no change intent of this run is left (twice in a row, half a second apart) or a change's deadline
    /// and its undo's have passed, then moves the clock past the repair grace and repairs what is left, as the
    /// sweeper of any instance would.
    /// </summary>
    private async Task SettleAndRepairAsync(GatewayServer gateway, ShiftedTimeProvider clock, DateTimeOffset since)
    {
        var watch = Stopwatch.StartNew();
        var quiet = 0;
        var left = 0;
        while (quiet < 2 && watch.Elapsed < TimeSpan.FromSeconds(2 * WriteSeconds + 1))
        {
            await Task.Delay(500);
            var intents = await medplum.Store.SearchAllAsync<Basic>(ChangeIntentSearches.All(), CancellationToken.None);
            left = intents.Count(i => ChangeIntent.StartedAt(i) is { } started && started >= since);
            quiet = left == 0 ? quiet + 1 : 0;
        }

        clock.Offset += TimeSpan.FromSeconds(RepairGraceSeconds + 1);
        using var scope = gateway.Services.CreateScope();
        var repaired = await scope.ServiceProvider.GetRequiredService<ChangeIntentRepair>().RepairStaleAsync(CancellationToken.None);
        output.WriteLine($"settled in {watch.ElapsedMilliseconds} ms with {left} intents of the run left; repair handled {repaired}");
    }
}
