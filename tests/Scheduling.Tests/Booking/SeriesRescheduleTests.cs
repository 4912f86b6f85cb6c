using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Booking.Series;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using static Scheduling.Tests.Booking.SeriesBookingTests;

namespace Scheduling.Tests.Booking;

/// <summary>
/// rescheduleSeriesFrom ("this and all following") over HTTP, asserted in the payload and in FHIR: the tail moves to
/// a new local time and weekday as one change and becomes a series of its own; the earlier series ends before it.
/// Embedded store, Medplum with transactions and with compensation.
/// </summary>
public abstract class SeriesRescheduleTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    private const string Moved = """
        series { template { fhirId status } daysOfWeek startTime occurrenceCount occurrences { nodes { fhirId recurrenceId } } }
        occurrences { fhirId start recurrenceId occurrenceChanged slots { status } }
        skipped { recurrenceId reason { code } }
        earlierSeries { template { fhirId status } occurrenceCount occurrences { nodes { fhirId recurrenceId status } } }
        """;

    private static CancellationToken None => CancellationToken.None;

    [Fact]
    public async Task From_the_fourth_occurrence_the_tail_moves_to_wednesday_ten_thirty_local_as_its_own_series()
    {
        var (gateway, world, _, booked) = await SeriesAsync();
        var before = booked["occurrences"]!.AsArray().Select(o => o!).ToList();
        var versions = await VersionsAsync(before);

        var moved = await RescheduleFromAsync(gateway, Str(before[3], "fhirId"), "10:30", "WEDNESDAY");

        AssertNoErrors(moved);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        var occurrences = moved["occurrences"]!.AsArray().Select(o => o!).ToList();
        Assert.Equal(before.Skip(3).Select(o => Str(o, "fhirId")), occurrences.Select(o => Str(o, "fhirId")));
        Assert.Equal([1, 2, 3], occurrences.Select(o => o["recurrenceId"]!.GetValue<int>()));
        foreach (var (occurrence, old) in occurrences.Zip(before.Skip(3)))
        {
            var local = TimeZoneInfo.ConvertTime(DateTimeOffset.Parse(Str(occurrence, "start"), CultureInfo.InvariantCulture), zone);
            var oldLocal = TimeZoneInfo.ConvertTime(DateTimeOffset.Parse(Str(old, "start"), CultureInfo.InvariantCulture), zone);
            Assert.Equal((DayOfWeek.Wednesday, new TimeSpan(10, 30, 0)), (local.DayOfWeek, local.TimeOfDay));
            Assert.Equal(oldLocal.Date.AddDays(1), local.Date);
            Assert.Equal(("BUSY", false), (Str(occurrence, "slots.0.status"), occurrence["occurrenceChanged"]!.GetValue<bool>()));
        }

        // The new series: its own template with the new pattern; the earlier one ends after three places.
        Assert.Equal(("WEDNESDAY", "10:30", 3, "PROPOSED"), (Str(moved, "series.daysOfWeek.0"), Str(moved, "series.startTime"),
            moved.At("series.occurrenceCount")!.GetValue<int>(), Str(moved, "series.template.status")));
        Assert.Equal(occurrences.Select(o => Str(o, "fhirId")), moved.At("series.occurrences.nodes")!.AsArray().Select(o => Str(o, "fhirId")));
        Assert.Equal((Str(booked, "series.template.fhirId"), "PROPOSED", 3), (Str(moved, "earlierSeries.template.fhirId"), Str(moved, "earlierSeries.template.status"),
            moved.At("earlierSeries.occurrenceCount")!.GetValue<int>()));
        Assert.Equal(before.Take(3).Select(o => Str(o, "fhirId")), moved.At("earlierSeries.occurrences.nodes")!.AsArray().Select(o => Str(o, "fhirId")));

        // FHIR: the first three untouched, their slots still taken; the old slots of the moved ones freed; the moved
        // ones point to the new template.
        for (var i = 0; i < 6; i++)
        {
            var stored = (await Store.ReadAsync<Appointment>(Str(before[i], "fhirId"), None))!;
            var oldSlot = (await Store.ReadAsync<Slot>(Str(before[i], "slots.0.fhirId"), None))!;
            if (i < 3)
            {
                Assert.Equal(versions[i], stored.Meta!.VersionId);
                Assert.Equal(Slot.SlotStatus.Busy, oldSlot.Status);
            }
            else
            {
                Assert.Equal(Slot.SlotStatus.Free, oldSlot.Status);
                var template = (await Store.ReadAsync<Appointment>(Str(moved, "series.template.fhirId"), None))!;
                Assert.Equal(SeriesProfile.SeriesIdOf(template), (stored.GetExtension(GatewayProfile.OriginatingAppointmentExtension)?.Value as ResourceReference)?.Identifier?.Value);
                Assert.Equal(Appointment.AppointmentStatus.Booked, stored.Status);
            }
        }

        Assert.Equal(7 + 1, (await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None)).Count);
    }

    [Fact]
    public async Task All_or_nothing_moves_none_when_one_new_time_is_taken()
    {
        var (gateway, world, scheduleId, booked) = await SeriesAsync();
        var before = booked["occurrences"]!.AsArray().Select(o => o!).ToList();
        await TakeAtAsync(gateway, scheduleId, world.OtherPatient.Id!, Local(before[4]).AddDays(1), new TimeOnly(10, 30));
        var versions = await VersionsAsync(before);
        var template = (await Store.ReadAsync<Appointment>(Str(booked, "series.template.fhirId"), None))!.Meta!.VersionId;

        var refused = await RescheduleFromAsync(gateway, Str(before[3], "fhirId"), "10:30", "WEDNESDAY");

        Assert.Equal("SLOT_UNAVAILABLE", Str(refused, "errors.0.code"));
        Assert.Contains("Occurrence 5", Str(refused, "errors.0.message"), StringComparison.Ordinal);
        Assert.Equal(versions, await VersionsAsync(before));
        Assert.Equal(template, (await Store.ReadAsync<Appointment>(Str(booked, "series.template.fhirId"), None))!.Meta!.VersionId);
        Assert.Equal(7, (await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None)).Count);
    }

    [Fact]
    public async Task Available_only_leaves_the_taken_one_where_it_was_in_the_earlier_series()
    {
        var (gateway, world, scheduleId, booked) = await SeriesAsync();
        var before = booked["occurrences"]!.AsArray().Select(o => o!).ToList();
        await TakeAtAsync(gateway, scheduleId, world.OtherPatient.Id!, Local(before[4]).AddDays(1), new TimeOnly(10, 30));

        var moved = await RescheduleFromAsync(gateway, Str(before[3], "fhirId"), "10:30", "WEDNESDAY", "AVAILABLE_ONLY");

        AssertNoErrors(moved);
        Assert.Equal([Str(before[3], "fhirId"), Str(before[5], "fhirId")], moved["occurrences"]!.AsArray().Select(o => Str(o, "fhirId")));
        Assert.Equal([5], moved["skipped"]!.AsArray().Select(o => o!["recurrenceId"]!.GetValue<int>()));
        Assert.Equal("SLOT_UNAVAILABLE", Str(moved, "skipped.0.reason.code"));
        Assert.Equal([1, 2, 3, 5], moved.At("earlierSeries.occurrences.nodes")!.AsArray().Select(o => o!["recurrenceId"]!.GetValue<int>()));
        var left = (await Store.ReadAsync<Appointment>(Str(before[4], "fhirId"), None))!;
        Assert.Equal(DateTimeOffset.Parse(Str(before[4], "start"), CultureInfo.InvariantCulture), left.Start);
    }

    [Fact]
    public async Task From_the_first_occurrence_the_earlier_template_is_cancelled_and_every_occurrence_moves()
    {
        var (gateway, _, _, booked) = await SeriesAsync();
        var before = booked["occurrences"]!.AsArray().Select(o => o!).ToList();

        var moved = await RescheduleFromAsync(gateway, Str(before[0], "fhirId"), "11:00", null);

        AssertNoErrors(moved);
        Assert.Equal(Enumerable.Range(1, 6), moved["occurrences"]!.AsArray().Select(o => o!["recurrenceId"]!.GetValue<int>()));
        Assert.Equal(("CANCELLED", "TUESDAY", "11:00"), (Str(moved, "earlierSeries.template.status"), Str(moved, "series.daysOfWeek.0"), Str(moved, "series.startTime")));
        Assert.Empty(moved.At("earlierSeries.occurrences.nodes")!.AsArray());
    }

    private async Task<(GatewayServer Gateway, BookingWorld World, string ScheduleId, JsonNode Booked)> SeriesAsync()
    {
        var gateway = await GatewayAsync();
        var (world, scheduleId) = await RuleScheduleAsync(Store, gateway);
        var booked = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, FirstTuesdayAcrossDaylightSaving(), 6);
        AssertNoErrors(booked);
        return (gateway, world, scheduleId, booked);
    }

    private async Task<List<string?>> VersionsAsync(IEnumerable<JsonNode> occurrences)
    {
        var versions = new List<string?>();
        foreach (var occurrence in occurrences)
        {
            versions.Add((await Store.ReadAsync<Appointment>(Str(occurrence, "fhirId"), None))!.Meta!.VersionId);
        }

        return versions;
    }

    private static DateOnly Local(JsonNode occurrence) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.Parse(Str(occurrence, "start"), CultureInfo.InvariantCulture), TimeZoneInfo.FindSystemTimeZoneById(Zone)).DateTime);

    private static async Task TakeAtAsync(GatewayServer gateway, string scheduleId, string patientId, DateOnly day, TimeOnly at)
    {
        var start = SeriesRecurrence.ToInstant(day.ToDateTime(at), TimeZoneInfo.FindSystemTimeZoneById(Zone));
        AssertNoErrors(await gateway.MutateAsync("bookAppointment", "BookAppointmentInput",
            new { time = new { slotIds = new[] { RuleSlots.Id(scheduleId, start, start.AddMinutes(30)) } }, patientId }, "appointment { fhirId }"));
    }

    private static Task<JsonNode> RescheduleFromAsync(GatewayServer gateway, string appointmentId, string? startTime, string? dayOfWeek, string mode = "ALL_OR_NOTHING") =>
        gateway.MutateAsync("rescheduleSeriesFrom", "RescheduleSeriesFromInput", new { appointmentId, startTime, dayOfWeek, mode }, Moved);

    private static string Str(JsonNode? node, string path) => GraphQLMutations.Str(node, path);
}

public sealed class EmbeddedSeriesRescheduleTests(EmbeddedGatewayFixture fixture) : SeriesRescheduleTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingSeriesRescheduleTests(MedplumFixture medplum) : SeriesRescheduleTests(medplum.Compensating);

[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionSeriesRescheduleTests(MedplumFixture medplum) : SeriesRescheduleTests(medplum.Transactions);
