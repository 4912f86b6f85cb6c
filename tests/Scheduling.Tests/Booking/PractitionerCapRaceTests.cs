using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using Xunit.Abstractions;

namespace Scheduling.Tests.Booking;

/// <summary>
/// One practitioner's day/week caps under a race between bookings on DIFFERENT schedules of theirs: booking X reads
/// the practitioner's count, then (the store hooked right after that search) booking Z of the same practitioner on
/// another schedule is made in full through a second gateway, then X goes on. Where each of X and Z counts the other
/// (both capped, the other's start inside its window), at most one may stand: X must lose its guard claim, re-check
/// and be refused. Before the cap guards were keyed by practitioner and UTC date (BookingCaps.GuardKeys), they were
/// keyed by each schedule's local day start and by cap kind, so two capped schedules in different time zones, or a
/// day cap on one schedule and a week cap on another, claimed different guards and both bookings stood.
/// </summary>
public abstract class PractitionerCapRaceTests(StoreGateways stores, ITestOutputHelper output) : StoreMatrixTests(stores)
{
    private static CancellationToken None => CancellationToken.None;

    /// <summary>A day a few days ahead; its 05:00–11:00 UTC is 14:00–20:00 in Tokyo and 00:00–06:00 in Bogotá, the same local date in both.</summary>
    private static readonly DateOnly Day = DateOnly.FromDateTime(DateTime.UtcNow.Date.AddDays(4));

    private static DateTimeOffset UtcAt(int hour) => new(Day.ToDateTime(new TimeOnly(hour, 0)), TimeSpan.Zero);

    [Fact]
    public async Task Two_capped_schedules_in_different_time_zones_let_one_of_two_racing_bookings_stand()
    {
        await using var race = await RaceAsync();
        var tokyo = await race.ScheduleAsync("Asia/Tokyo", "14:00", "20:00", maxPerDay: 1);
        var bogota = await race.ScheduleAsync("America/Bogota", "00:00", "06:00", maxPerDay: 1);

        var x = await race.BookRacingAsync(() => race.Book(tokyo, UtcAt(6), race.World.Patient, race.Gateway), () => race.Book(bogota, UtcAt(8), race.World.OtherPatient));

        await race.AssertOneStandsAsync(x, "practitioner-day-cap");
    }

    [Fact]
    public async Task A_day_cap_on_one_schedule_and_a_week_cap_on_another_let_one_of_two_racing_bookings_stand()
    {
        await using var race = await RaceAsync();
        var dayCapped = await race.ScheduleAsync("UTC", "05:00", "11:00", maxPerDay: 1);
        var weekCapped = await race.ScheduleAsync("UTC", "05:00", "11:00", maxPerWeek: 1);

        var x = await race.BookRacingAsync(() => race.Book(dayCapped, UtcAt(6), race.World.Patient, race.Gateway), () => race.Book(weekCapped, UtcAt(8), race.World.OtherPatient));

        await race.AssertOneStandsAsync(x, "practitioner-day-cap");
    }

    [Fact]
    public async Task A_booking_on_several_schedules_and_one_on_a_capped_schedule_in_another_zone_let_one_stand()
    {
        await using var race = await RaceAsync();
        var tokyo = await race.ScheduleAsync("Asia/Tokyo", "14:00", "20:00", maxPerDay: 1);
        var room = await race.ScheduleAsync("UTC", "05:00", "11:00", actor: "Location/" + race.World.Location.Id);
        var bogota = await race.ScheduleAsync("America/Bogota", "00:00", "06:00", maxPerDay: 1);

        var x = await race.BookRacingAsync(
            () => race.Gateway.MutateAsync("bookAppointment", "BookAppointmentInput",
                new { time = new { slotIds = new[] { RuleSlots.Id(tokyo, UtcAt(6), UtcAt(6).AddMinutes(30)), RuleSlots.Id(room, UtcAt(6), UtcAt(6).AddMinutes(30)) } }, patientId = race.World.Patient.Id },
                "appointment { id fhirId }"),
            () => race.Book(bogota, UtcAt(8), race.World.OtherPatient));

        await race.AssertOneStandsAsync(x, "practitioner-day-cap");
    }

    [Fact]
    public async Task A_series_occurrence_and_a_booking_on_a_capped_schedule_in_another_zone_let_one_stand()
    {
        await using var race = await RaceAsync();
        var tokyo = await race.ScheduleAsync("Asia/Tokyo", "14:00", "20:00", maxPerDay: 1);
        var bogota = await race.ScheduleAsync("America/Bogota", "00:00", "06:00", maxPerDay: 1);

        // One occurrence at 15:00 in Tokyo: 06:00 UTC of the day.
        var x = await race.BookRacingAsync(
            () => race.Gateway.MutateAsync("bookSeries", "BookSeriesInput", new
            {
                scheduleId = tokyo,
                patientId = race.World.Patient.Id,
                firstDate = Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                startTime = "15:00",
                minutes = 30,
                recurrence = new { daysOfWeek = new[] { Day.DayOfWeek.ToString().ToUpperInvariant() }, count = 1 },
            }, "occurrences { fhirId }"),
            () => race.Book(bogota, UtcAt(8), race.World.OtherPatient),
            warmUp: () => race.Book(tokyo, UtcAt(6), race.World.Patient, race.Gateway));

        await race.AssertOneStandsAsync(x, "practitioner-day-cap");
    }

    /// <summary>
    /// Decision (README "Cutoffs and caps"): a booking on a schedule without caps judges no cap, so it is not refused
    /// by another schedule's cap and claims no cap guard; the capped booking that raced it and missed it is the one
    /// that came first. Both stand, as they do one after the other in that order; the other order refuses the capped one.
    /// </summary>
    [Fact]
    public async Task A_booking_on_an_uncapped_schedule_is_not_refused_by_another_schedules_cap_and_counts_for_it()
    {
        await using var race = await RaceAsync();
        var capped = await race.ScheduleAsync("UTC", "05:00", "11:00", maxPerDay: 1);
        var uncapped = await race.ScheduleAsync("UTC", "05:00", "11:00");

        var x = await race.BookRacingAsync(() => race.Book(capped, UtcAt(6), race.World.Patient, race.Gateway), () => race.Book(uncapped, UtcAt(8), race.World.OtherPatient));
        GraphQLMutations.Str(x, "appointment.fhirId");

        // Now the capped schedule's day holds two of the practitioner's bookings: a third there is refused.
        var third = await race.Book(capped, UtcAt(9), race.World.OtherPatient);
        Assert.Equal("practitioner-day-cap", GraphQLMutations.Str(third, "errors.0.rule"));
    }

    private async Task<Race> RaceAsync()
    {
        var hook = new AfterCapCount();
        var gateway = await StartGatewayAsync(upstream: hook.Around);
        var other = await Stores.StartAsync(sameStoreAs: gateway);
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        return new Race(gateway, other, Store, world, hook, output);
    }

    private sealed record Race(GatewayServer Gateway, GatewayServer Other, IFhirStore Store, BookingWorld World, AfterCapCount Hook, ITestOutputHelper Output) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Other.DisposeAsync();
            await Gateway.DisposeAsync();
        }

        public async Task<string> ScheduleAsync(string zone, string from, string to, int? maxPerDay = null, int? maxPerWeek = null, string? actor = null)
        {
            var created = await Gateway.MutateAsync("createSchedule", "CreateScheduleInput",
                new { actorIds = new[] { actor ?? "Practitioner/" + World.Practitioner.Id }, serviceTypes = new[] { "physiotherapy" }, timeZone = zone }, "schedule { fhirId }");
            var id = GraphQLMutations.Str(created, "schedule.fhirId");
            NoErrors(await Gateway.MutateAsync("setAvailability", "SetAvailabilityInput", new
            {
                scheduleId = id,
                timeZone = zone,
                availableTimes = new[] { new { daysOfWeek = Enum.GetNames<DayOfWeek>().Select(d => d.ToUpperInvariant()).ToArray(), startTime = from, endTime = to } },
                slotMinutes = 30,
            }, "schedule { fhirId }"));
            if (maxPerDay is not null || maxPerWeek is not null)
            {
                NoErrors(await Gateway.MutateAsync("setBookingLimits", "SetBookingLimitsInput",
                    new { scheduleId = id, maxBookingsPerDay = maxPerDay, maxBookingsPerWeek = maxPerWeek }, "schedule { fhirId }"));
            }

            return id;
        }

        /// <summary>A booking of the rule option [start, start + 30 min) through the second gateway (never hooked).</summary>
        public Task<JsonNode> Book(string scheduleId, DateTimeOffset start, Patient patient, GatewayServer? through = null) =>
            (through ?? Other).MutateAsync("bookAppointment", "BookAppointmentInput",
                new { time = new { slotIds = new[] { RuleSlots.Id(scheduleId, start, start.AddMinutes(30)) } }, patientId = patient.Id }, "appointment { id fhirId }");

        /// <summary>
        /// X through the hooked gateway; Z made in full right after X has read the practitioner's count. Z must stand;
        /// X's answer is returned. First the same booking as X (or <paramref name="warmUp"/>) is made and cancelled, so
        /// that every guard X claims exists: X then reads the count once, not again after creating guards.
        /// </summary>
        public async Task<JsonNode> BookRacingAsync(Func<Task<JsonNode>> x, Func<Task<JsonNode>> z, Func<Task<JsonNode>>? warmUp = null)
        {
            var warm = await (warmUp ?? x)();
            NoErrors(await Gateway.MutateAsync("cancelAppointment", "CancelAppointmentInput",
                new { appointmentId = GraphQLMutations.Str(warm, "appointment.id"), reason = "warm-up" }, "appointment { status }"));
            JsonNode? zAnswer = null;
            Hook.Arm(World.Practitioner.Id!, async () => zAnswer = await z());
            var xAnswer = await x();
            Output.WriteLine("X: " + xAnswer.ToJsonString());
            Output.WriteLine("Z: " + zAnswer?.ToJsonString());
            Assert.True(Hook.Fired, "X never read the practitioner's count");
            NoErrors(zAnswer!);
            return xAnswer;
        }

        /// <summary>X refused by the cap (after losing its guard claim and checking again), and one counted booking of the practitioner that day.</summary>
        public async Task AssertOneStandsAsync(JsonNode x, string rule)
        {
            var counted = (await Store.SearchAllAsync<Appointment>(
                    AppointmentSearches.CountedStarting(["Practitioner/" + World.Practitioner.Id], UtcAt(0).AddDays(-1), UtcAt(0).AddDays(2)), None))
                .Where(a => BookingCaps.Counts(a, DateTimeOffset.UtcNow) && !GatewayProfile.IsSeriesTemplate(a)).ToList();
            Output.WriteLine("counted: " + string.Join(", ", counted.Select(a => $"{a.Id} {a.Start:O}")));
            Assert.Single(counted);
            Assert.Equal(rule, GraphQLMutations.Str(x, "errors.0.rule"));
        }

        private static void NoErrors(JsonNode payload) => Assert.True(payload["errors"]!.AsArray().Count == 0, payload["errors"]!.ToJsonString());
    }

    /// <summary>Runs one armed step right after the first search of a practitioner's appointments by date (the caps' count) returns.</summary>
    private sealed class AfterCapCount
    {
        private Func<Task>? _step;
        private string _actor = string.Empty;

        public bool Fired { get; private set; }

        public void Arm(string practitionerId, Func<Task> step)
        {
            _actor = "Practitioner/" + practitionerId;
            Volatile.Write(ref _step, step);
        }

        public IFhirStore Around(IFhirStore inner) => new Hooked(inner, this);

        private async Task AfterAsync(FhirQuery query)
        {
            if (query.ResourceType == "Appointment" && query.Parameters.Any(p => p.Key == "actor" && p.Value.Contains(_actor, StringComparison.Ordinal)) &&
                query.Parameters.Any(p => p.Key == "status" && p.Value.Contains("fulfilled", StringComparison.Ordinal)) &&
                Interlocked.Exchange(ref _step, null) is { } step)
            {
                Fired = true;
                await step();
            }
        }

        private sealed class Hooked(IFhirStore inner, AfterCapCount hook) : DelegatingFhirStore(inner)
        {
            public override async Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
            {
                var found = await base.SearchAllAsync(query, cancellationToken);
                await hook.AfterAsync(query);
                return found;
            }
        }
    }
}

public sealed class EmbeddedPractitionerCapRaceTests(EmbeddedGatewayFixture fixture, ITestOutputHelper output)
    : PractitionerCapRaceTests(fixture.Stores, output), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingPractitionerCapRaceTests(MedplumFixture medplum, ITestOutputHelper output)
    : PractitionerCapRaceTests(medplum.Compensating, output);

[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionPractitionerCapRaceTests(MedplumFixture medplum, ITestOutputHelper output)
    : PractitionerCapRaceTests(medplum.Transactions, output);
