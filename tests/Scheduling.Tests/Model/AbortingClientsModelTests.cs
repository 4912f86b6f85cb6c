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
/// <c>Fhir:UseTransactions=false</c>) with <see cref="LatencyMilliseconds"/> before every FHIR answer, one request in
/// three is one its client goes away from after 50 ms to 1.5 s (<see cref="Op.GoAway"/>), before, during or after
/// its writes. Once every client has its answer (or has gone), the gateways are given the time to finish or undo what
/// they started, then the interrupted-change repair runs once, as a sweeper would; only then the invariants are
/// checked straight from FHIR. What a client that went away did not learn is not checked (see
/// <see cref="SchedulingInvariants"/>). Fewer runs than the plain model test: each takes seconds of latency.
/// SCHEDULING_ABORT_RUNS sets the runs.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class AbortingClientsModelTests(MedplumFixture medplum, ITestOutputHelper output)
{
    public const int LatencyMilliseconds = 100;

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
        await using var first = await GatewayServer.StartAsync(settings, s => s.AddSingleton<TimeProvider>(clock));
        await using var second = await GatewayServer.StartAsync(settings, s => s.AddSingleton<TimeProvider>(clock));
        var runStart = DateTimeOffset.MinValue;
        try
        {
            await SchedulingModel.CheckAsync(medplum.Store, [first, second], clock, output, SchedulingModel.RunsFrom("SCHEDULING_ABORT_RUNS", 3), new SchedulingModel.RunHooks(
                SchedulingModel.RunsOf(aborts: true),
                async () =>
                {
                    runStart = clock.GetUtcNow();
                    await medplum.Server.LatencyAsync(LatencyMilliseconds);
                },
                async () =>
                {
                    await medplum.Server.LatencyAsync(0);
                    await SettleAndRepairAsync(first, clock, runStart);
                }));
        }
        finally
        {
            await medplum.Server.LatencyAsync(0);
        }
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
