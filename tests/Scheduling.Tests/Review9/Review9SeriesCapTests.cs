using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Booking.Series;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Booking;
using Scheduling.Tests.Queries;
using Xunit.Abstractions;
using static Scheduling.Tests.Booking.SeriesBookingTests;

namespace Scheduling.Tests.Review9;

/// <summary>
/// Review9: a series retrying after a lost race reuses occurrence 1's check (its guards stood), though meanwhile two
/// bookings of the same practitioner on another (uncapped) schedule filled the capped schedule's day: such bookings
/// claim no cap guard. The series then books past maxBookingsPerDay.
/// </summary>
public abstract class Review9SeriesCapTests(StoreGateways stores, ITestOutputHelper output) : StoreMatrixTests(stores)
{
    private static CancellationToken None => CancellationToken.None;

    [Fact]
    public async Task A_series_retry_does_not_book_past_the_practitioners_day_cap()
    {
        var between = new SeriesRaceTests.BetweenWrites();
        await using var gateway = await StartGatewayAsync(upstream: between.Around);
        var (world, scheduleA) = await RuleScheduleAsync(Store, gateway);
        AssertNoErrors(await gateway.MutateAsync("setBookingLimits", "SetBookingLimitsInput", new { scheduleId = scheduleA, maxBookingsPerDay = 2 }, "schedule { fhirId }"));
        // The same practitioner's second schedule, without caps.
        var b = await gateway.MutateAsync("createSchedule", "CreateScheduleInput",
            new { actorIds = new[] { "Practitioner/" + world.Practitioner.Id }, serviceTypes = new[] { "physiotherapy" }, timeZone = Zone }, "schedule { fhirId }");
        var scheduleB = GraphQLMutations.Str(b, "schedule.fhirId");
        AssertNoErrors(await gateway.MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId = scheduleB,
            timeZone = Zone,
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY" }, startTime = "08:00", endTime = "12:00" } },
            slotMinutes = 30,
        }, "schedule { fhirId }"));

        var first = FirstTuesdayAcrossDaylightSaving();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        DateTimeOffset At(DateOnly day, int h, int m) => SeriesRecurrence.ToInstant(day.ToDateTime(new TimeOnly(h, m)), zone);
        Task<JsonNode> Take(string schedule, DateTimeOffset start) => gateway.MutateAsync("bookAppointment", "BookAppointmentInput",
            new { time = new { slotIds = new[] { RuleSlots.Id(schedule, start, start.AddMinutes(30)) } }, patientId = world.OtherPatient.Id }, "appointment { id }");

        between.Arm(async () =>
        {
            // Makes the series lose (occurrence 3's hour) and fills day 1 for the practitioner on the uncapped schedule.
            AssertNoErrors(await Take(scheduleA, At(first.AddDays(14), 9, 30)));
            AssertNoErrors(await Take(scheduleB, At(first, 11, 0)));
            AssertNoErrors(await Take(scheduleB, At(first, 11, 30)));
        });

        var series = await BookSeriesAsync(gateway, scheduleA, world.Patient.Id!, first, 6);
        output.WriteLine(series.ToJsonString());
        Assert.True(between.Fired);

        var dayStart = At(first, 0, 0);
        var onDay = (await Store.SearchAllAsync<Appointment>(new FhirQuery("Appointment").Where("practitioner", "Practitioner/" + world.Practitioner.Id), None))
            .Where(a => a.Status == Appointment.AppointmentStatus.Booked && a.Start >= dayStart && a.Start < dayStart.AddDays(1)).ToList();
        output.WriteLine("practitioner's bookings on day 1: " + onDay.Count);
        // Without the race (the two bookings first) the series is refused with BOOKING_RULE practitioner-day-cap.
        Assert.True(onDay.Count <= 2, $"{onDay.Count} bookings on a day capped at 2");
    }

    [Fact]
    public async Task Control_without_the_race_the_series_is_refused_by_the_day_cap()
    {
        await using var gateway = await StartGatewayAsync();
        var (world, scheduleA) = await RuleScheduleAsync(Store, gateway);
        AssertNoErrors(await gateway.MutateAsync("setBookingLimits", "SetBookingLimitsInput", new { scheduleId = scheduleA, maxBookingsPerDay = 2 }, "schedule { fhirId }"));
        var b = await gateway.MutateAsync("createSchedule", "CreateScheduleInput",
            new { actorIds = new[] { "Practitioner/" + world.Practitioner.Id }, serviceTypes = new[] { "physiotherapy" }, timeZone = Zone }, "schedule { fhirId }");
        var scheduleB = GraphQLMutations.Str(b, "schedule.fhirId");
        AssertNoErrors(await gateway.MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId = scheduleB,
            timeZone = Zone,
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY" }, startTime = "08:00", endTime = "12:00" } },
            slotMinutes = 30,
        }, "schedule { fhirId }"));
        var first = FirstTuesdayAcrossDaylightSaving();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        foreach (var (h, m) in new[] { (11, 0), (11, 30) })
        {
            var start = SeriesRecurrence.ToInstant(first.ToDateTime(new TimeOnly(h, m)), zone);
            AssertNoErrors(await gateway.MutateAsync("bookAppointment", "BookAppointmentInput",
                new { time = new { slotIds = new[] { RuleSlots.Id(scheduleB, start, start.AddMinutes(30)) } }, patientId = world.OtherPatient.Id }, "appointment { id }"));
        }

        var series = await BookSeriesAsync(gateway, scheduleA, world.Patient.Id!, first, 6);
        output.WriteLine(series.ToJsonString());
        Assert.Equal("BOOKING_RULE", GraphQLMutations.Str(series, "errors.0.code"));
    }
}

public sealed class EmbeddedReview9SeriesCapTests(EmbeddedGatewayFixture fixture, ITestOutputHelper output)
    : Review9SeriesCapTests(fixture.Stores, output), IClassFixture<EmbeddedGatewayFixture>;
