using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Xunit.Abstractions;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Cutoffs and caps (BookingCaps, CapRules, BookingRules.CheckCancelAsync): each refuses with a typed BookingRuleError
/// naming it, writes nothing, and a change refused by several rules (or a rule and a taken slot) reports each.
/// </summary>
public sealed class CutoffsAndCapsTests
{
    private const string Errors = "errors { __typename ... on Error { code message } ... on BookingRuleError { rule limit } }";

    private static readonly string Book = $"mutation($input: BookAppointmentInput!) {{ bookAppointment(input: $input) {{ appointment {{ fhirId }} {Errors} }} }}";

    private static readonly string Cancel = $"mutation($input: CancelAppointmentInput!) {{ cancelAppointment(input: $input) {{ appointment {{ status }} {Errors} }} }}";

    private static readonly string Reschedule = $"mutation($input: RescheduleAppointmentInput!) {{ rescheduleAppointment(input: $input) {{ appointment {{ start }} {Errors} }} }}";

    private static CancellationToken None => CancellationToken.None;

    private static async Task<(GatewayServer Gateway, InMemoryFhirStore Store)> StartAsync(params (string Key, string Value)[] settings)
    {
        var all = TestTokens.GatewaySettings();
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var gateway = await GatewayServer.StartAsync(all);
        return (gateway, gateway.Services.GetRequiredService<InMemoryFhirStore>());
    }

    private static DateTimeOffset InAnHour()
    {
        var at = DateTimeOffset.UtcNow.AddHours(1);
        return at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMinute));
    }

    private static async Task<string> BookAsync(GatewayServer gateway, BookingWorld world, int slot, Patient patient, string? token = null)
    {
        var answer = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(slot) }, patientId = patient.Id } }, token ?? TestTokens.Patient(patient.Id!));
        return answer.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>() ?? throw new InvalidOperationException(answer.ToJsonString());
    }

    /// <summary>The (rule, limit) of each BookingRuleError in a payload, and the typenames of all its errors.</summary>
    private static (List<(string? Rule, int? Limit)> Rules, List<string?> Types) Refusals(JsonNode? payload) =>
        ([.. payload!["errors"]!.AsArray().Where(e => e!["rule"] is not null).Select(e => (e!["rule"]?.GetValue<string>(), e["limit"]?.GetValue<int?>()))],
         [.. payload["errors"]!.AsArray().Select(e => e!["__typename"]?.GetValue<string>())]);

    [Fact]
    public async Task Cancelling_inside_the_notice_is_refused_for_a_patient_and_allowed_for_a_scheduler()
    {
        var (gateway, store) = await StartAsync(("Booking:MinimumCancelNoticeMinutes", "120"));
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store, firstStart: InAnHour());
        var id = await BookAsync(gateway, world, 0, world.Patient);

        var refused = (await gateway.QueryAsync(Cancel, new { input = new { appointmentId = id, reason = "late" } }, TestTokens.Patient(world.Patient.Id!))).At("data.cancelAppointment");

        Assert.Equal([(BookingCaps.CancelNoticeRule, (int?)120)], Refusals(refused).Rules);
        Assert.Equal("BOOKING_RULE", refused.At("errors.0.code")?.GetValue<string>());
        Assert.Equal(Appointment.AppointmentStatus.Booked, (await store.ReadAsync<Appointment>(id, None))!.Status);
        // Schedulers are exempt: a clinic cancels its day when a practitioner falls ill.
        var byScheduler = (await gateway.QueryAsync(Cancel, new { input = new { appointmentId = id, reason = "ill" } }, TestTokens.Scheduler())).At("data.cancelAppointment");
        Assert.Equal("CANCELLED", byScheduler.At("appointment.status")?.GetValue<string>() ?? byScheduler!.ToJsonString());
    }

    [Fact]
    public async Task A_schedules_own_cancel_notice_applies_where_the_global_one_is_none()
    {
        var (gateway, store) = await StartAsync();
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store, firstStart: InAnHour());
        var set = await gateway.QueryAsync(
            "mutation($input: SetBookingLimitsInput!) { setBookingLimits(input: $input) { schedule { id } errors { __typename } } }",
            new { input = new { scheduleId = "Schedule/" + world.Schedule.Id, cancelNoticeMinutes = 90 } }, TestTokens.Scheduler());
        Assert.Empty(set.At("data.setBookingLimits.errors")!.AsArray());
        var id = await BookAsync(gateway, world, 0, world.Patient);

        var refused = (await gateway.QueryAsync(Cancel, new { input = new { appointmentId = id, reason = "late" } }, TestTokens.Patient(world.Patient.Id!))).At("data.cancelAppointment");

        Assert.Equal([(BookingCaps.CancelNoticeRule, (int?)90)], Refusals(refused).Rules);
    }

    [Fact]
    public async Task Rescheduling_inside_the_notice_is_refused_for_a_patient_and_allowed_for_a_scheduler()
    {
        var (gateway, store) = await StartAsync(("Booking:MinimumRescheduleNoticeMinutes", "120"));
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store, firstStart: InAnHour());
        var id = await BookAsync(gateway, world, 0, world.Patient);

        var refused = (await gateway.QueryAsync(Reschedule, new { input = new { appointmentId = id, slotIds = new[] { world.SlotId(4) } } }, TestTokens.Patient(world.Patient.Id!))).At("data.rescheduleAppointment");

        Assert.Equal([(BookingCaps.RescheduleNoticeRule, (int?)120)], Refusals(refused).Rules);
        Assert.Equal(world.Slots[0].Start, (await store.ReadAsync<Appointment>(id, None))!.Start);
        var moved = (await gateway.QueryAsync(Reschedule, new { input = new { appointmentId = id, slotIds = new[] { world.SlotId(4) } } }, TestTokens.Scheduler())).At("data.rescheduleAppointment");
        Assert.Empty(moved!["errors"]!.AsArray());
    }

    [Fact]
    public async Task The_day_cap_refuses_the_practitioners_next_booking_of_the_day_and_a_cancellation_gives_it_back()
    {
        var (gateway, store) = await StartAsync(("Booking:MaxBookingsPerPractitionerPerDay", "2"));
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store);
        var first = await BookAsync(gateway, world, 0, world.Patient);
        await BookAsync(gateway, world, 1, world.OtherPatient);

        var refused = (await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(3) }, patientId = world.Patient.Id } }, TestTokens.Admin())).At("data.bookAppointment");

        Assert.Equal([(BookingCaps.DayCapRule, (int?)2)], Refusals(refused).Rules);
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(world.SlotId(3), None))!.Status);
        var cancelled = await gateway.QueryAsync(Cancel, new { input = new { appointmentId = first, reason = "freed" } }, TestTokens.Admin());
        Assert.Empty(cancelled.At("data.cancelAppointment.errors")!.AsArray());
        await BookAsync(gateway, world, 3, world.Patient, TestTokens.Admin());
    }

    [Fact]
    public async Task The_week_cap_counts_the_practitioners_other_days_of_the_week()
    {
        var (gateway, store) = await StartAsync(("Booking:MaxBookingsPerPractitionerPerWeek", "2"));
        await using var _ = gateway;
        // A Wednesday two to eight days ahead, and a slot on its Thursday: one week (Monday to Sunday, UTC).
        var wednesday = DateTimeOffset.UtcNow.Date.AddDays(2);
        while (wednesday.DayOfWeek != DayOfWeek.Wednesday)
        {
            wednesday = wednesday.AddDays(1);
        }

        var world = await BookingWorld.CreateAsync(store, firstStart: new DateTimeOffset(wednesday.AddHours(14), TimeSpan.Zero));
        var thursday = await store.CreateAsync(new Slot
        {
            Schedule = new ResourceReference("Schedule/" + world.Schedule.Id),
            Status = Slot.SlotStatus.Free,
            Start = world.Slots[0].Start!.Value.AddDays(1),
            End = world.Slots[0].End!.Value.AddDays(1),
        }, None);
        await BookAsync(gateway, world, 0, world.Patient, TestTokens.Admin());
        await BookAsync(gateway, world, 1, world.OtherPatient, TestTokens.Admin());

        var refused = (await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { thursday.Id }, patientId = world.Patient.Id } }, TestTokens.Admin())).At("data.bookAppointment");

        Assert.Equal([(BookingCaps.WeekCapRule, (int?)2)], Refusals(refused).Rules);
    }

    [Fact]
    public async Task The_patient_cap_refuses_a_patients_third_booking_in_the_period_and_not_another_patients()
    {
        var (gateway, store) = await StartAsync(("Booking:MaxBookingsPerPatientPerPeriod", "2"), ("Booking:PatientPeriodDays", "7"));
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store);
        await BookAsync(gateway, world, 0, world.Patient);
        await BookAsync(gateway, world, 1, world.Patient);

        var refused = (await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(2) }, patientId = world.Patient.Id } }, TestTokens.Admin())).At("data.bookAppointment");

        Assert.Equal([(BookingCaps.PatientCapRule, (int?)2)], Refusals(refused).Rules);
        await BookAsync(gateway, world, 2, world.OtherPatient);
    }

    [Fact]
    public async Task A_booking_refused_by_two_rules_and_a_taken_slot_reports_all_three()
    {
        var (gateway, store) = await StartAsync(("Booking:MaxBookingsPerPractitionerPerDay", "1"), ("Booking:MaxBookingsPerPatientPerPeriod", "1"));
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store);
        await BookAsync(gateway, world, 0, world.Patient);

        var twoRules = (await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(2) }, patientId = world.Patient.Id } }, TestTokens.Admin())).At("data.bookAppointment");
        var rulesAndSlot = (await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } }, TestTokens.Admin())).At("data.bookAppointment");

        Assert.Equal([BookingCaps.PatientCapRule, BookingCaps.DayCapRule], Refusals(twoRules).Rules.Select(r => r.Rule).Order());
        Assert.Equal(["BookingRuleError", "BookingRuleError", "SlotUnavailableError"], Refusals(rulesAndSlot).Types.Order());
    }

    /// <summary>A mutation as a scheduler (this gateway checks tokens), with its payload's errors.</summary>
    private static async Task<JsonNode> MutateAsync(GatewayServer gateway, string field, string inputType, object input, string selection)
    {
        var answer = await gateway.QueryAsync($"mutation($input: {inputType}!) {{ {field}(input: $input) {{ {selection} {GraphQLMutations.ErrorsOf(field)} }} }}", new { input }, TestTokens.Scheduler());
        return answer.At("data." + field) ?? throw new InvalidOperationException(answer.ToJsonString());
    }

    /// <summary>A rule-based schedule in New York (weekdays 08:00-12:00, 30-minute slots) of the world's practitioner, as series book on.</summary>
    private static async Task<(BookingWorld World, string ScheduleId)> RuleScheduleAsync(GatewayServer gateway, InMemoryFhirStore store)
    {
        var world = await BookingWorld.CreateAsync(store, slots: 0);
        var schedule = await MutateAsync(gateway, "createSchedule", "CreateScheduleInput", new
        {
            actorIds = new[] { "Practitioner/" + world.Practitioner.Id, "Location/" + world.Location.Id },
            serviceTypes = new[] { "physiotherapy" },
            timeZone = SeriesBookingTests.Zone,
        }, "schedule { fhirId }");
        var scheduleId = schedule.At("schedule.fhirId")?.GetValue<string>() ?? throw new InvalidOperationException(schedule.ToJsonString());
        var availability = await MutateAsync(gateway, "setAvailability", "SetAvailabilityInput", new
        {
            scheduleId,
            timeZone = SeriesBookingTests.Zone,
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY" }, startTime = "08:00", endTime = "12:00" } },
            slotMinutes = 30,
        }, "schedule { fhirId }");
        SeriesBookingTests.AssertNoErrors(availability);
        return (world, scheduleId);
    }

    /// <summary>A series' occurrences count against the week cap as they are accepted, not only what the store holds.</summary>
    [Fact]
    public async Task A_series_of_three_weekdays_under_a_week_cap_of_two_is_refused_whole_or_booked_two()
    {
        var (gateway, store) = await StartAsync(("Booking:MaxBookingsPerPractitionerPerWeek", "2"));
        await using var _ = gateway;
        var (world, scheduleId) = await RuleScheduleAsync(gateway, store);
        var monday = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(8);
        monday = monday.AddDays(-(((int)monday.DayOfWeek + 6) % 7));
        Task<JsonNode> SeriesAsync(string mode) => MutateAsync(gateway, "bookSeries", "BookSeriesInput", new
        {
            scheduleId,
            patientId = world.Patient.Id,
            firstDate = monday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            startTime = "09:00",
            minutes = 30,
            recurrence = new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY" }, count = 3 },
            mode,
        }, SeriesBookingTests.Selection);

        var refused = await SeriesAsync("ALL_OR_NOTHING");
        Assert.Equal(("BookingRuleError", BookingCaps.WeekCapRule), (refused.At("errors.0.__typename")?.GetValue<string>(), refused.At("errors.0.rule")?.GetValue<string>()));
        Assert.Contains("Occurrence 3", refused.At("errors.0.message")!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(await store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None));

        var partial = await SeriesAsync("AVAILABLE_ONLY");
        Assert.Empty(partial["errors"]!.AsArray());
        Assert.Equal([1, 2], partial["occurrences"]!.AsArray().Select(o => o!["recurrenceId"]!.GetValue<int>()));
        Assert.Equal([(3, BookingCaps.WeekCapRule)], partial["skipped"]!.AsArray().Select(o => (o!["recurrenceId"]!.GetValue<int>(), o.At("reason.rule")?.GetValue<string>())));
    }

    /// <summary>cancelSeriesFrom answers to the cancel notice as cancelAppointment does: a patient inside it is refused, nothing cancelled; a scheduler is not.</summary>
    [Fact]
    public async Task Cancelling_a_series_inside_the_notice_is_refused_for_a_patient_and_allowed_for_a_scheduler()
    {
        var (gateway, store) = await StartAsync(("Booking:MinimumCancelNoticeMinutes", (60 * 24 * 30).ToString(CultureInfo.InvariantCulture)));
        await using var _ = gateway;
        var (world, scheduleId) = await RuleScheduleAsync(gateway, store);
        var booked = await MutateAsync(gateway, "bookSeries", "BookSeriesInput", new
        {
            scheduleId,
            patientId = world.Patient.Id,
            firstDate = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(2).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            startTime = "09:00",
            minutes = 30,
            recurrence = new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY" }, count = 3 },
        }, SeriesBookingTests.Selection);
        SeriesBookingTests.AssertNoErrors(booked);
        var first = booked.At("occurrences.0.fhirId")!.GetValue<string>();
        var cancelSeries = $"mutation($input: CancelSeriesFromInput!) {{ cancelSeriesFrom(input: $input) {{ cancelled {{ fhirId }} {Errors} }} }}";

        var refused = (await gateway.QueryAsync(cancelSeries, new { input = new { appointmentId = first, reason = "late" } }, TestTokens.Patient(world.Patient.Id!))).At("data.cancelSeriesFrom");

        Assert.Equal("BOOKING_RULE", refused.At("errors.0.code")?.GetValue<string>() ?? refused!.ToJsonString());
        Assert.Equal([(BookingCaps.CancelNoticeRule, (int?)(60 * 24 * 30))], Refusals(refused).Rules);
        var members = await store.SearchAllAsync<Appointment>(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None);
        Assert.Equal(3, members.Count(a => a.Status == Appointment.AppointmentStatus.Booked));
        var byScheduler = (await gateway.QueryAsync(cancelSeries, new { input = new { appointmentId = first, reason = "ill" } }, TestTokens.Scheduler())).At("data.cancelSeriesFrom");
        Assert.Equal(3, byScheduler!["cancelled"]?.AsArray().Count ?? throw new InvalidOperationException(byScheduler.ToJsonString()));
    }
}

/// <summary>
/// The day cap under a race on Medplum: ten patients book ten different slots of one practitioner's day at once through
/// two gateways, with a cap of one a day; the slots do not overlap, so only the cap's own guard (BookingCaps.GuardKeys)
/// can serialize them. Exactly one wins; every other is refused typed (the cap, or a lost race).
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumDayCapRaceTests(MedplumFixture medplum, ITestOutputHelper output)
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { ... on Error { code } } } }
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ten_bookings_racing_for_the_last_booking_of_a_day_let_exactly_one_win(bool transactions)
    {
        var settings = medplum.Settings(("Fhir:UseTransactions", transactions ? "true" : "false"), ("Booking:MaxBookingsPerPractitionerPerDay", "1"));
        await using var first = await GatewayServer.StartAsync(settings);
        await using var second = await GatewayServer.StartAsync(settings);
        var world = await BookingWorld.CreateAsync(medplum.Store, slots: 10);
        var patients = new List<Patient>();
        for (var i = 0; i < 10; i++)
        {
            patients.Add(await medplum.Store.CreateAsync(new Patient { Name = [new HumanName { Family = "Racer" + i.ToString(CultureInfo.InvariantCulture) }] }, CancellationToken.None));
        }

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 10).Select(async i =>
        {
            await start.Task;
            var answer = await (i % 2 == 0 ? first : second).QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(i) }, patientId = patients[i].Id } });
            return (Id: answer.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>(),
                Code: answer.At("data.bookAppointment.errors.0.code")?.GetValue<string>() ?? answer.ToJsonString());
        }).ToList();
        start.SetResult();
        var outcomes = await Task.WhenAll(attempts);

        var booked = (await medplum.Store.SearchAllAsync<Appointment>(
            FhirQuery.For<Appointment>().Where("actor", "Practitioner/" + world.Practitioner.Id), CancellationToken.None)).Where(AppointmentSearches.IsActive).ToList();
        output.WriteLine(string.Join(", ", outcomes.GroupBy(o => o.Id is null ? o.Code : "BOOKED").Select(g => $"{g.Count()} {g.Key}")));
        Assert.Single(booked);
        Assert.Equal([booked[0].Id], outcomes.Where(o => o.Id is not null).Select(o => o.Id));
        Assert.All(outcomes.Where(o => o.Id is null), o => Assert.Contains(o.Code, new[] { "BOOKING_RULE", "CONFLICT" }));
    }
}
