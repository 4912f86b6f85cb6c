using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Xunit.Abstractions;

namespace Scheduling.Tests.Booking;

/// <summary>
/// What the practitioner caps' guards cost a booking in FHIR requests (each call to the store counted as the request a
/// FHIR server would get; a transaction is one), both write modes: a booking on a schedule without caps costs the same
/// whether or not another schedule of the practitioner has caps (it claims no cap guard, README "Cutoffs and caps"),
/// so a practice without caps pays nothing for them. The figures per case are printed (README quotes them).
/// </summary>
public sealed class PractitionerCapCostTests(ITestOutputHelper output)
{
    private static readonly DateOnly Day = DateOnly.FromDateTime(DateTime.UtcNow.Date.AddDays(4));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_booking_on_an_uncapped_schedule_costs_the_same_whether_another_schedule_of_the_practitioner_has_caps(bool transactions)
    {
        var costs = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, zone, day, week, otherCapped) in new (string, string, int?, int?, bool)[]
                 {
                     ("no caps", "UTC", null, null, false),
                     ("no caps here, a day cap on another schedule", "UTC", null, null, true),
                     ("day cap, UTC", "UTC", 5, null, false),
                     ("day cap, Asia/Tokyo", "Asia/Tokyo", 5, null, false),
                     ("week cap, UTC", "UTC", null, 5, false),
                     ("week cap, Asia/Tokyo", "Asia/Tokyo", null, 5, false),
                 })
        {
            costs[name] = await RequestsOfSecondBookingAsync(transactions, zone, day, week, otherCapped);
            output.WriteLine($"{(transactions ? "transaction" : "compensation")}, {name}: {costs[name]} FHIR requests per booking");
        }

        Assert.Equal(costs["no caps"], costs["no caps here, a day cap on another schedule"]);
    }

    /// <summary>
    /// The requests of a booking on a fresh practitioner's schedule with these caps (the second of the day, so its
    /// guards exist and only the claim is counted, as for most bookings).
    /// </summary>
    private static async Task<int> RequestsOfSecondBookingAsync(bool transactions, string zone, int? maxPerDay, int? maxPerWeek, bool otherCapped)
    {
        var counter = new FhirCallCounter();
        var settings = TestTokens.GatewaySettings();
        settings["Fhir:UseTransactions"] = transactions ? "true" : "false";
        await using var gateway = await GatewayServer.StartAsync(settings, services => services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream,
            (provider, _) => new CountingFhirStore(provider.GetRequiredService<InMemoryFhirStore>(), counter)));
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>(), slots: 0);
        var scheduler = TestTokens.Scheduler();
        var schedule = await ScheduleAsync(gateway, world, zone, maxPerDay, maxPerWeek, scheduler);
        if (otherCapped)
        {
            await ScheduleAsync(gateway, world, zone, 5, null, scheduler);
        }

        var start = new DateTimeOffset(Day.ToDateTime(new TimeOnly(6, 0)), TimeSpan.Zero);
        await BookAsync(gateway, schedule, start, world.OtherPatient.Id!, scheduler);
        counter.Reset();
        await BookAsync(gateway, schedule, start.AddHours(2), world.Patient.Id!, scheduler);
        return counter.Requests;
    }

    private static async Task<string> ScheduleAsync(GatewayServer gateway, BookingWorld world, string zone, int? maxPerDay, int? maxPerWeek, string token)
    {
        var created = await gateway.MutateAsync("createSchedule", "CreateScheduleInput",
            new { actorIds = new[] { "Practitioner/" + world.Practitioner.Id }, serviceTypes = new[] { "physiotherapy" }, timeZone = zone }, "schedule { fhirId }", token);
        var id = GraphQLMutations.Str(created, "schedule.fhirId");
        var local = TimeZoneInfo.ConvertTime(new DateTimeOffset(Day.ToDateTime(new TimeOnly(5, 0)), TimeSpan.Zero), TimeZoneInfo.FindSystemTimeZoneById(zone));
        NoErrors(await gateway.MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId = id,
            timeZone = zone,
            availableTimes = new[]
            {
                new
                {
                    daysOfWeek = Enum.GetNames<DayOfWeek>().Select(d => d.ToUpperInvariant()).ToArray(),
                    startTime = local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                    endTime = local.AddHours(6).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                },
            },
            slotMinutes = 30,
        }, "schedule { fhirId }", token));
        if (maxPerDay is not null || maxPerWeek is not null)
        {
            NoErrors(await gateway.MutateAsync("setBookingLimits", "SetBookingLimitsInput",
                new { scheduleId = id, maxBookingsPerDay = maxPerDay, maxBookingsPerWeek = maxPerWeek }, "schedule { fhirId }", token));
        }

        return id;
    }

    private static async Task BookAsync(GatewayServer gateway, string scheduleId, DateTimeOffset start, string patientId, string token) =>
        NoErrors(await gateway.MutateAsync("bookAppointment", "BookAppointmentInput",
            new { time = new { slotIds = new[] { RuleSlots.Id(scheduleId, start, start.AddMinutes(30)) } }, patientId }, "appointment { fhirId }", token));

    private static void NoErrors(System.Text.Json.Nodes.JsonNode payload) => Assert.True(payload["errors"]!.AsArray().Count == 0, payload["errors"]!.ToJsonString());
}
