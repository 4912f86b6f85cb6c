using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Booking.Series;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Recurring series over HTTP, asserted in the payload and again in FHIR: a weekly series on a rule-based schedule
/// in America/New_York whose six weeks cross a daylight-saving change. Runs on the embedded store and on Medplum's
/// engine, with transactions and with compensation.
/// </summary>
public abstract class SeriesBookingTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    internal const string Zone = "America/New_York";

    internal const string Selection = """
        series { template { fhirId status start slots { fhirId } } timeZone daysOfWeek weekInterval occurrenceCount startTime minutesDuration
          occurrences { totalCount nodes { fhirId recurrenceId } } }
        occurrences { fhirId status start end recurrenceId occurrenceChanged versionId slots { fhirId status } series { template { fhirId } } }
        skipped { recurrenceId start reason { __typename code message ... on ValidationError { rule } ... on BookingRuleError { rule } } }
        """;

    private static CancellationToken None => CancellationToken.None;

    /// <summary>A gateway (and its store) whose patients may have at most <paramref name="limit"/> open appointments.</summary>
    private async Task<(GatewayServer Gateway, IFhirStore Store)> WithOpenLimitAsync(int limit) =>
        (await GatewayAsync(("Booking:MaxOpenBookingsPerPatient", limit.ToString(CultureInfo.InvariantCulture))), Store);

    [Fact]
    public async Task A_six_week_series_across_a_daylight_saving_change_keeps_nine_oclock_local_and_is_recorded_in_the_R5_shape()
    {
        var (world, scheduleId) = await RuleScheduleAsync(Store, await GatewayAsync());
        var first = FirstTuesdayAcrossDaylightSaving();
        var booked = await BookSeriesAsync(await GatewayAsync(), scheduleId, world.Patient.Id!, first, 6);

        AssertNoErrors(booked);
        var occurrences = booked["occurrences"]!.AsArray().Select(o => o!).ToList();
        Assert.Equal(6, occurrences.Count);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        var starts = occurrences.Select(o => DateTimeOffset.Parse(Str(o, "start"), CultureInfo.InvariantCulture)).ToList();
        Assert.All(starts, s => Assert.Equal(new TimeSpan(9, 0, 0), TimeZoneInfo.ConvertTime(s, zone).TimeOfDay));
        Assert.Equal(Enumerable.Range(0, 6).Select(w => first.AddDays(7 * w)), starts.Select(s => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(s, zone).DateTime)));
        // The change is crossed: the UTC offset differs between the first and the last occurrence.
        Assert.NotEqual(starts[0].Offset, starts[^1].Offset);
        Assert.Equal(Enumerable.Range(1, 6), occurrences.Select(o => o["recurrenceId"]!.GetValue<int>()));
        Assert.All(occurrences, o => Assert.Equal(("BOOKED", "BUSY", false), (Str(o, "status"), Str(o, "slots.0.status"), o["occurrenceChanged"]!.GetValue<bool>())));
        var templateId = Str(booked, "series.template.fhirId");
        Assert.All(occurrences, o => Assert.Equal(templateId, Str(o, "series.template.fhirId")));
        Assert.Equal(("PROPOSED", Zone, "TUESDAY", 6, "09:00"),
            (Str(booked, "series.template.status"), Str(booked, "series.timeZone"), Str(booked, "series.daysOfWeek.0"), booked.At("series.occurrenceCount")!.GetValue<int>(), Str(booked, "series.startTime")));
        Assert.Null(booked.At("series.template.start"));
        Assert.Equal(6, booked.At("series.occurrences.totalCount")!.GetValue<int>());

        // FHIR: the template carries R5's recurrenceTemplate; each occurrence originatingAppointment and recurrenceId.
        var template = (await Store.ReadAsync<Appointment>(templateId, None))!;
        Assert.True(GatewayProfile.IsSeriesTemplate(template));
        Assert.Equal(Appointment.AppointmentStatus.Proposed, template.Status);
        Assert.Null(template.Start);
        Assert.Empty(template.Slot);
        var pattern = template.GetExtension(GatewayProfile.RecurrenceTemplateExtension)!;
        Assert.Equal("wk", Code(pattern, "recurrenceType"));
        Assert.Equal(Zone, Code(pattern, "timezone"));
        Assert.Equal(6, (pattern.GetExtension("occurrenceCount")?.Value as PositiveInt)?.Value);
        Assert.Equal(true, (pattern.GetExtension("weeklyTemplate")?.GetExtension("tuesday")?.Value as FhirBoolean)?.Value);
        Assert.Equal(false, (pattern.GetExtension("weeklyTemplate")?.GetExtension("monday")?.Value as FhirBoolean)?.Value);
        foreach (var occurrence in occurrences)
        {
            var stored = (await Store.ReadAsync<Appointment>(Str(occurrence, "fhirId"), None))!;
            var origin = stored.GetExtension(GatewayProfile.OriginatingAppointmentExtension)?.Value as ResourceReference;
            Assert.Equal(SeriesProfile.SeriesIdOf(template), origin?.Identifier?.Value);
            Assert.Equal(occurrence["recurrenceId"]!.GetValue<int>(), (stored.GetExtension(GatewayProfile.RecurrenceIdExtension)?.Value as PositiveInt)?.Value);
        }
    }

    private static string? Code(Extension pattern, string name) => (pattern.GetExtension(name)?.Value as CodeableConcept)?.Coding.FirstOrDefault()?.Code;

    [Fact]
    public async Task All_or_nothing_books_none_when_one_occurrence_was_taken_meanwhile()
    {
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var first = FirstTuesdayAcrossDaylightSaving();
        var third = await TakeAsync(gateway, scheduleId, world.OtherPatient.Id!, first.AddDays(14));

        var refused = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, first, 6);

        Assert.Equal("SLOT_UNAVAILABLE", Str(refused, "errors.0.code"));
        Assert.Contains("Occurrence 3", Str(refused, "errors.0.message"), StringComparison.Ordinal);
        Assert.Null(refused["series"]);
        // Nothing of it in FHIR: no template, no occurrence, no slot taken but the other patient's.
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None));
        var slots = await Store.SearchAllAsync<Slot>(new FhirQuery("Slot").Where("schedule", "Schedule/" + scheduleId), None);
        Assert.Equal([third], slots.Where(s => s.Status != Slot.SlotStatus.Free).Select(s => s.Id));
    }

    /// <summary>
    /// A series and a single booking of its third occurrence's time, sent at once: one of them gets the time, and the
    /// series is whole (six occurrences, the single refused) or absent (nothing of it written), never partly written.
    /// </summary>
    [Fact]
    public async Task A_race_for_one_occurrence_leaves_the_series_whole_or_absent()
    {
        var gateway = await GatewayAsync();
        for (var round = 0; round < 3; round++)
        {
            var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
            var first = FirstTuesdayAcrossDaylightSaving();
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var series = Task.Run(async () => { await go.Task; return await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, first, 6); });
            var single = Task.Run(async () => { await go.Task; return await TryTakeAsync(gateway, scheduleId, world.OtherPatient.Id!, first.AddDays(14)); });
            go.SetResult();
            var (seriesPayload, singlePayload) = (await series, await single);

            var seriesBooked = seriesPayload["errors"]!.AsArray().Count == 0;
            var singleBooked = singlePayload["errors"]!.AsArray().Count == 0;
            Assert.True(seriesBooked != singleBooked, $"series: {seriesPayload.ToJsonString()} single: {singlePayload.ToJsonString()}");
            var mine = await Store.SearchAllAsync<Appointment>(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None);
            Assert.Equal(seriesBooked ? 7 : 0, mine.Count);
            Assert.Equal(seriesBooked ? "SLOT_UNAVAILABLE" : null, singlePayload.At("errors.0.code")?.GetValue<string>());
            var busy = (await Store.SearchAllAsync<Slot>(new FhirQuery("Slot").Where("schedule", "Schedule/" + scheduleId), None)).Count(s => s.Status == Slot.SlotStatus.Busy);
            Assert.Equal(seriesBooked ? 6 : 1, busy);
        }
    }

    [Fact]
    public async Task Available_only_books_the_rest_and_reports_the_taken_occurrence_with_its_typed_reason()
    {
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var first = FirstTuesdayAcrossDaylightSaving();
        await TakeAsync(gateway, scheduleId, world.OtherPatient.Id!, first.AddDays(14));

        var booked = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, first, 6, mode: "AVAILABLE_ONLY");

        AssertNoErrors(booked);
        Assert.Equal([1, 2, 4, 5, 6], booked["occurrences"]!.AsArray().Select(o => o!["recurrenceId"]!.GetValue<int>()));
        var skipped = Assert.Single(booked["skipped"]!.AsArray())!;
        Assert.Equal((3, "SlotUnavailableError", "SLOT_UNAVAILABLE"), (skipped["recurrenceId"]!.GetValue<int>(), Str(skipped, "reason.__typename"), Str(skipped, "reason.code")));
        Assert.Equal(5, (await Store.SearchAllAsync<Appointment>(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None))
            .Count(a => a.Status == Appointment.AppointmentStatus.Booked));
    }

    [Fact]
    public async Task Moving_one_occurrence_marks_it_changed_and_leaves_the_rest_untouched()
    {
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var first = FirstTuesdayAcrossDaylightSaving();
        var booked = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, first, 6);
        AssertNoErrors(booked);
        var before = booked["occurrences"]!.AsArray().Select(o => o!).ToList();
        var second = before[1];
        var start = DateTimeOffset.Parse(Str(second, "start"), CultureInfo.InvariantCulture).AddHours(1);

        var moved = await gateway.MutateAsync("rescheduleAppointment", "RescheduleAppointmentInput",
            new { appointmentId = Str(second, "fhirId"), time = new { slotIds = new[] { RuleSlots.Id(scheduleId, start, start.AddMinutes(30)) } } },
            "appointment { start occurrenceChanged recurrenceId series { template { fhirId } } }");

        AssertNoErrors(moved);
        Assert.Equal((true, 2), (moved.At("appointment.occurrenceChanged")!.GetValue<bool>(), moved.At("appointment.recurrenceId")!.GetValue<int>()));
        Assert.Equal(Str(booked, "series.template.fhirId"), Str(moved, "appointment.series.template.fhirId"));
        var stored = (await Store.ReadAsync<Appointment>(Str(second, "fhirId"), None))!;
        Assert.True(SeriesProfile.OccurrenceChanged(stored));
        Assert.Equal(start, stored.Start);
        foreach (var other in before.Where(o => o != second))
        {
            var now = (await Store.ReadAsync<Appointment>(Str(other, "fhirId"), None))!;
            Assert.Equal(Str(other, "versionId"), now.Meta!.VersionId);
            Assert.False(SeriesProfile.OccurrenceChanged(now));
        }
    }

    [Fact]
    public async Task This_and_following_cancels_the_later_occurrences_in_one_change_and_frees_their_slots()
    {
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var booked = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, FirstTuesdayAcrossDaylightSaving(), 6);
        AssertNoErrors(booked);
        var occurrences = booked["occurrences"]!.AsArray().Select(o => o!).ToList();

        var cancelled = await gateway.MutateAsync("cancelSeriesFrom", "CancelSeriesFromInput",
            new { appointmentId = Str(occurrences[3], "fhirId"), reason = "Therapy ends early" },
            "cancelled { fhirId status recurrenceId slots { status } } series { template { status } occurrences { nodes { recurrenceId status } } }");

        AssertNoErrors(cancelled);
        Assert.Equal([4, 5, 6], cancelled["cancelled"]!.AsArray().Select(o => o!["recurrenceId"]!.GetValue<int>()));
        Assert.All(cancelled["cancelled"]!.AsArray(), o => Assert.Equal(("CANCELLED", "FREE"), (Str(o, "status"), Str(o, "slots.0.status"))));
        Assert.Equal("PROPOSED", Str(cancelled, "series.template.status"));
        Assert.Equal(["BOOKED", "BOOKED", "BOOKED", "CANCELLED", "CANCELLED", "CANCELLED"],
            cancelled.At("series.occurrences.nodes")!.AsArray().Select(o => Str(o, "status")));
        foreach (var (occurrence, i) in occurrences.Select((o, i) => (o, i)))
        {
            var stored = (await Store.ReadAsync<Appointment>(Str(occurrence, "fhirId"), None))!;
            Assert.Equal(i < 3 ? Appointment.AppointmentStatus.Booked : Appointment.AppointmentStatus.Cancelled, stored.Status);
            var slot = (await Store.ReadAsync<Slot>(Str(occurrence, "slots.0.fhirId"), None))!;
            Assert.Equal(i < 3 ? Slot.SlotStatus.Busy : Slot.SlotStatus.Free, slot.Status);
        }

        // A single appointment is no series: typed refusal.
        var single = await TakeAsync(gateway, scheduleId, world.OtherPatient.Id!, FirstTuesdayAcrossDaylightSaving().AddDays(-1));
        var appointment = (await Store.SearchAllAsync<Appointment>(new FhirQuery("Appointment").Where("slot", "Slot/" + single), None)).Single();
        var refused = await gateway.MutateAsync("cancelSeriesFrom", "CancelSeriesFromInput", new { appointmentId = appointment.Id, reason = "x" }, "cancelled { fhirId }");
        Assert.Equal(("ValidationError", "series-occurrence"), (Str(refused, "errors.0.__typename"), Str(refused, "errors.0.rule")));
    }

    [Fact]
    public async Task The_open_bookings_limit_counts_the_series_own_occurrences()
    {
        var (gateway, store) = await WithOpenLimitAsync(3);
        var (world, scheduleId) = await RuleScheduleAsync(store, gateway);
        var first = FirstTuesdayAcrossDaylightSaving();
        await TakeAsync(gateway, scheduleId, world.Patient.Id!, first.AddDays(-1));

        var refused = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, first, 3);
        Assert.Equal(("BookingRuleError", "max-open-bookings"), (Str(refused, "errors.0.__typename"), Str(refused, "errors.0.rule")));
        var partial = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, first, 3, mode: "AVAILABLE_ONLY");
        AssertNoErrors(partial);
        Assert.Equal([1, 2], partial["occurrences"]!.AsArray().Select(o => o!["recurrenceId"]!.GetValue<int>()));
        Assert.Equal("max-open-bookings", Str(partial, "skipped.0.reason.rule"));
    }

    /// <summary>A rule-based schedule in New York, weekdays 08:00 to 12:00 in 30-minute options, for a practitioner and a room.</summary>
    /// <summary>
    /// An appointment another FHIR client wrote with R5's recurrenceTemplate AND a time (Medplum's $find does so on
    /// a proposed first occurrence; R5 allows it on a real originating appointment) is no template of this gateway:
    /// it takes its actors' time like any other, so booking that time is refused.
    /// </summary>
    [Fact]
    public async Task An_appointment_of_another_client_with_the_recurrence_extension_and_a_time_still_takes_that_time()
    {
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var day = FirstTuesdayAcrossDaylightSaving();
        var start = SeriesRecurrence.ToInstant(day.ToDateTime(new TimeOnly(9, 0)), TimeZoneInfo.FindSystemTimeZoneById(Zone));
        var foreign = new Appointment
        {
            Status = Appointment.AppointmentStatus.Booked,
            Start = start,
            End = start.AddMinutes(30),
            Participant =
            [
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + world.OtherPatient.Id), Status = ParticipationStatus.Accepted },
                new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/" + world.Practitioner.Id), Status = ParticipationStatus.Accepted },
            ],
        };
        foreign.Extension.Add(new Extension { Url = GatewayProfile.RecurrenceTemplateExtension, Extension = [new Extension("recurrenceType", new CodeableConcept(SeriesProfile.RecurrenceTypeSystem, SeriesProfile.Weekly))] });
        await Store.CreateAsync(foreign, None);

        var refused = await TryTakeAsync(gateway, scheduleId, world.Patient.Id!, day);

        Assert.Equal("SLOT_UNAVAILABLE", Str(refused, "errors.0.code"));
    }

    /// <summary>
    /// A series' template is no appointment to change: every ordinary change of it is refused with a typed error
    /// pointing to cancelSeriesFrom, and the template is not written.
    /// </summary>
    [Theory]
    [InlineData("cancel")]
    [InlineData("respond")]
    [InlineData("confirm")]
    [InlineData("status")]
    public async Task Ordinary_changes_of_a_series_template_are_refused(string action)
    {
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var booked = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, FirstTuesdayAcrossDaylightSaving(), 2);
        AssertNoErrors(booked);
        var id = Str(booked, "series.template.fhirId");
        var before = (await Store.ReadAsync<Appointment>(id, None))!.Meta!.VersionId;

        var payload = action switch
        {
            "cancel" => await gateway.MutateAsync("cancelAppointment", "CancelAppointmentInput", new { appointmentId = id, reason = "test" }, "appointment { fhirId }"),
            "respond" => await gateway.MutateAsync("respondToAppointment", "RespondToAppointmentInput",
                new { appointmentId = id, actorId = "Practitioner/" + world.Practitioner.Id, participantStatus = "DECLINED" }, "appointment { fhirId }"),
            "confirm" => await gateway.MutateAsync("confirmAppointment", "ConfirmAppointmentInput", new { appointmentId = id }, "appointment { fhirId }"),
            _ => await gateway.MutateAsync("changeAppointmentStatus", "ChangeAppointmentStatusInput", new { appointmentId = id, status = "CANCELLED" }, "appointment { fhirId }"),
        };

        Assert.Equal("VALIDATION_FAILED", Str(payload, "errors.0.code"));
        Assert.Contains("cancelSeriesFrom", Str(payload, "errors.0.message"), StringComparison.Ordinal);
        Assert.Equal(before, (await Store.ReadAsync<Appointment>(id, None))!.Meta!.VersionId);
    }

    /// <summary>A bookSeries sent again with the same clientMutationId (a network retry) returns the series written, and writes nothing more.</summary>
    [Fact]
    public async Task The_same_series_sent_twice_with_one_client_mutation_id_is_booked_once()
    {
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var first = FirstTuesdayAcrossDaylightSaving();
        var input = new
        {
            scheduleId,
            patientId = world.Patient.Id,
            firstDate = first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            startTime = "09:00",
            minutes = 30,
            recurrence = new { daysOfWeek = new[] { "TUESDAY" }, count = 3 },
            clientMutationId = "retry-" + Guid.NewGuid().ToString("N"),
        };

        var once = await gateway.MutateAsync("bookSeries", "BookSeriesInput", input, Selection);
        var again = await gateway.MutateAsync("bookSeries", "BookSeriesInput", input, Selection);

        AssertNoErrors(once);
        AssertNoErrors(again);
        Assert.Equal(Str(once, "series.template.fhirId"), Str(again, "series.template.fhirId"));
        Assert.Equal(once["occurrences"]!.AsArray().Select(o => Str(o, "fhirId")), again["occurrences"]!.AsArray().Select(o => Str(o, "fhirId")));
        Assert.Equal(4, (await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None)).Count);
    }

    internal static async Task<(BookingWorld World, string ScheduleId)> RuleScheduleAsync(IFhirStore store, GatewayServer gateway, string? bearerToken = null)
    {
        var world = await BookingWorld.CreateAsync(store, slots: 0);
        var schedule = await gateway.MutateAsync("createSchedule", "CreateScheduleInput", new
        {
            actorIds = new[] { "Practitioner/" + world.Practitioner.Id, "Location/" + world.Location.Id },
            serviceTypes = new[] { "physiotherapy" },
            timeZone = Zone,
        }, "schedule { fhirId }", bearerToken);
        var scheduleId = Str(schedule, "schedule.fhirId");
        AssertNoErrors(await gateway.MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId,
            timeZone = Zone,
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY" }, startTime = "08:00", endTime = "12:00" } },
            slotMinutes = 30,
        }, "schedule { fhirId }", bearerToken));
        return (world, scheduleId);
    }

    /// <summary>The first Tuesday at least a week ahead whose six weekly 09:00s in New York straddle a daylight-saving change.</summary>
    internal static DateOnly FirstTuesdayAcrossDaylightSaving()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7);
        while (day.DayOfWeek != DayOfWeek.Tuesday)
        {
            day = day.AddDays(1);
        }

        for (; ; day = day.AddDays(7))
        {
            if (zone.GetUtcOffset(day.ToDateTime(new TimeOnly(9, 0))) != zone.GetUtcOffset(day.AddDays(35).ToDateTime(new TimeOnly(9, 0))))
            {
                return day;
            }
        }
    }

    /// <summary>Books 09:00-09:30 New York time on that day for the patient; returns the slot taken.</summary>
    internal static async Task<string> TakeAsync(GatewayServer gateway, string scheduleId, string patientId, DateOnly day)
    {
        var booked = await TryTakeAsync(gateway, scheduleId, patientId, day);
        AssertNoErrors(booked);
        return Str(booked, "appointment.slots.0.fhirId");
    }

    internal static Task<JsonNode> TryTakeAsync(GatewayServer gateway, string scheduleId, string patientId, DateOnly day)
    {
        var start = SeriesRecurrence.ToInstant(day.ToDateTime(new TimeOnly(9, 0)), TimeZoneInfo.FindSystemTimeZoneById(Zone));
        return gateway.MutateAsync("bookAppointment", "BookAppointmentInput",
            new { time = new { slotIds = new[] { RuleSlots.Id(scheduleId, start, start.AddMinutes(30)) } }, patientId }, "appointment { slots { fhirId } }");
    }

    /// <summary>
    /// A selection that comes back to one series through its occurrences searches its members once per request, not
    /// once per parent (6 occurrences nested twice: 1 + 6 + 36 member searches without the per-request memo).
    /// </summary>
    protected async Task A_series_reached_again_through_its_occurrences_is_searched_once(MedplumServer log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var booked = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, FirstTuesdayAcrossDaylightSaving(), 6);
        AssertNoErrors(booked);
        var occurrence = Str(booked, "occurrences.0.fhirId");

        await log.ResetCountsAsync();
        var answer = await gateway.QueryAsync(
            "query($id: ID!) { appointment(id: $id) { series { occurrences { nodes { series { occurrences { nodes { series { timeZone } } } } } } } } }",
            new { id = occurrence });
        Assert.True(answer["errors"] is null, answer["errors"]?.ToJsonString());
        Assert.Equal(6, answer.At("data.appointment.series.occurrences.nodes")!.AsArray().Count);
        var memberSearches = (await log.RequestsAsync()).Count(r => r.Contains("identifier=", StringComparison.Ordinal) && r.Contains("Appointment", StringComparison.Ordinal));
        Assert.Equal(1, memberSearches);
    }

    internal static Task<JsonNode> BookSeriesAsync(GatewayServer gateway, string scheduleId, string patientId, DateOnly first, int count, string mode = "ALL_OR_NOTHING") =>
        gateway.MutateAsync("bookSeries", "BookSeriesInput", new
        {
            scheduleId,
            patientId,
            firstDate = first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            startTime = "09:00",
            minutes = 30,
            recurrence = new { daysOfWeek = new[] { "TUESDAY" }, count },
            mode,
            reason = "Physiotherapy",
        }, Selection);

    internal static void AssertNoErrors(JsonNode payload) =>
        Assert.True(payload["errors"]!.AsArray().Count == 0, payload["errors"]!.ToJsonString());

    private static string Str(JsonNode? node, string path) => GraphQLMutations.Str(node, path);
}

/// <summary>Series on the embedded store (atomic transactions).</summary>
public sealed class EmbeddedSeriesBookingTests(EmbeddedGatewayFixture fixture) : SeriesBookingTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

/// <summary>Series on Medplum, written write by write with If-Match and undone on failure.</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingSeriesBookingTests(MedplumFixture medplum) : SeriesBookingTests(medplum.Compensating);

/// <summary>Series on Medplum with FHIR transaction Bundles.</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionSeriesBookingTests(MedplumFixture medplum) : SeriesBookingTests(medplum.Transactions)
{
    [Fact]
    public Task A_series_reached_again_through_its_occurrences_is_searched_once_on_Medplum() =>
        A_series_reached_again_through_its_occurrences_is_searched_once(medplum.Server);
}
