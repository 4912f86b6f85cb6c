using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Booking;

/// <summary>
/// What the cancel notice costs in FHIR requests (CancelHandler.CheckNoticeAsync): a patient's cancel makes the same
/// requests as a scheduler's (who is exempt) but for one search of the occurrences' slots and one of their schedules,
/// however many occurrences cancelSeriesFrom cancels; none at all when the appointments start later than the longest
/// notice there can be (ScheduleLimits.MaxNoticeMinutes), which is also what a longer notice on a schedule counts as.
/// On the embedded store, every call to it counted as the request a FHIR server would get.
/// </summary>
public sealed class CancelNoticeReadsTests
{
    private const string Errors = "errors { __typename ... on Error { code message } ... on BookingRuleError { rule limit } }";

    private static readonly string CancelSeries = $"mutation($input: CancelSeriesFromInput!) {{ cancelSeriesFrom(input: $input) {{ cancelled {{ fhirId }} {Errors} }} }}";

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public async Task A_patients_series_cancel_reads_the_slots_and_schedules_for_the_notice_once_however_many_occurrences(int count)
    {
        var (gateway, counter, store) = await StartAsync();
        await using var _ = gateway;
        var (world, scheduleId) = await SeriesBookingTests.RuleScheduleAsync(store, gateway, TestTokens.Scheduler());
        var first = NextTuesday(7);

        var extra = await PatientsExtraRequestsAsync(gateway, counter, world, scheduleId, first, count);

        Assert.Equal(2, extra);
    }

    [Fact]
    public async Task A_cancel_later_than_the_longest_notice_reads_no_schedule()
    {
        var (gateway, counter, store) = await StartAsync();
        await using var _ = gateway;
        var (world, scheduleId) = await SeriesBookingTests.RuleScheduleAsync(store, gateway, TestTokens.Scheduler());
        var first = NextTuesday(ScheduleLimits.MaxNoticeMinutes / (60 * 24) + 2);

        var extra = await PatientsExtraRequestsAsync(gateway, counter, world, scheduleId, first, 3);

        Assert.Equal(0, extra);
    }

    /// <summary>A schedule's notice written longer than any by another FHIR client counts as the longest there can be.</summary>
    [Fact]
    public async Task A_schedule_notice_longer_than_the_longest_counts_as_the_longest()
    {
        var (gateway, _, store) = await StartAsync();
        await using var __ = gateway;
        var (world, scheduleId) = await SeriesBookingTests.RuleScheduleAsync(store, gateway, TestTokens.Scheduler());
        var schedule = await store.ReadRequiredAsync<Schedule>(scheduleId, CancellationToken.None);
        new ScheduleLimits(ScheduleLimits.MaxNoticeMinutes * 2, null, null, null).WriteTo(schedule);
        await store.UpdateAsync(schedule, schedule.Meta?.VersionId, CancellationToken.None);
        var beyond = NextTuesday(ScheduleLimits.MaxNoticeMinutes / (60 * 24) + 2);
        var within = NextTuesday(7);
        var far = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, beyond, "09:00", 1);
        var near = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, within, "09:00", 1);

        var allowed = await CancelAsync(gateway, far, TestTokens.Patient(world.Patient.Id!));
        var refused = await CancelAsync(gateway, near, TestTokens.Patient(world.Patient.Id!));

        Assert.Empty(allowed["errors"]!.AsArray());
        Assert.Equal((BookingCaps.CancelNoticeRule, ScheduleLimits.MaxNoticeMinutes), (refused.At("errors.0.rule")?.GetValue<string>(), refused.At("errors.0.limit")?.GetValue<int>()));
    }

    /// <summary>
    /// Two series of <paramref name="count"/> weekly occurrences on one schedule, one cancelled by its patient and one by
    /// a scheduler (exempt from the notice): how many more requests the patient's cancel made than the scheduler's.
    /// </summary>
    private static async Task<int> PatientsExtraRequestsAsync(GatewayServer gateway, FhirCallCounter counter, BookingWorld world, string scheduleId, DateOnly first, int count)
    {
        var patients = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, first, "09:00", count);
        var schedulers = await BookSeriesAsync(gateway, scheduleId, world.OtherPatient.Id!, first, "10:00", count);

        counter.Reset();
        var byPatient = await CancelAsync(gateway, patients, TestTokens.Patient(world.Patient.Id!));
        var patientRequests = counter.Requests;
        counter.Reset();
        var byScheduler = await CancelAsync(gateway, schedulers, TestTokens.Scheduler());
        var schedulerRequests = counter.Requests;

        Assert.Equal(count, byPatient["cancelled"]?.AsArray().Count ?? throw new InvalidOperationException(byPatient.ToJsonString()));
        Assert.Equal(count, byScheduler["cancelled"]?.AsArray().Count ?? throw new InvalidOperationException(byScheduler.ToJsonString()));
        return patientRequests - schedulerRequests;
    }

    private static async Task<(GatewayServer Gateway, FhirCallCounter Counter, InMemoryFhirStore Store)> StartAsync()
    {
        var counter = new FhirCallCounter();
        var gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings(), services => services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream,
            (provider, _) => new CountingFhirStore(provider.GetRequiredService<InMemoryFhirStore>(), counter)));
        return (gateway, counter, gateway.Services.GetRequiredService<InMemoryFhirStore>());
    }

    private static DateOnly NextTuesday(int daysAhead)
    {
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(daysAhead);
        return day.AddDays(((int)DayOfWeek.Tuesday - (int)day.DayOfWeek + 7) % 7);
    }

    /// <summary>Books a weekly Tuesday series as a scheduler; returns its first occurrence's id.</summary>
    private static async Task<string> BookSeriesAsync(GatewayServer gateway, string scheduleId, string patientId, DateOnly first, string startTime, int count)
    {
        var booked = await gateway.MutateAsync("bookSeries", "BookSeriesInput", new
        {
            scheduleId,
            patientId,
            firstDate = first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            startTime,
            minutes = 30,
            recurrence = new { daysOfWeek = new[] { "TUESDAY" }, count },
        }, SeriesBookingTests.Selection, TestTokens.Scheduler());
        SeriesBookingTests.AssertNoErrors(booked);
        return booked.At("occurrences.0.fhirId")!.GetValue<string>();
    }

    private static async Task<JsonNode> CancelAsync(GatewayServer gateway, string appointmentId, string token)
    {
        var answer = await gateway.QueryAsync(CancelSeries, new { input = new { appointmentId, reason = "moving away" } }, token);
        return answer.At("data.cancelSeriesFrom") ?? throw new InvalidOperationException(answer.ToJsonString());
    }
}
