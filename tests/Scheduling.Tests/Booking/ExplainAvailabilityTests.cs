using System.Text.Json.Nodes;
using CsCheck;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Schedules;
using Scheduling.Testing;

namespace Scheduling.Tests.Booking;

/// <summary>
/// explainAvailability over the embedded store: constructed cases where each reason appears, BOOKED shown with its
/// appointment only to whoever may see it, and availability = explain's candidates with no reason (a property).
/// </summary>
public sealed class ExplainAvailabilityTests
{
    private const string Explain = """
        query($input: ExplainAvailabilityInput!) {
          explainAvailability(input: $input) { start end offered reasons takenBy { fhirId } slotIds }
        }
        """;

    private static CancellationToken None => CancellationToken.None;

    private static readonly Dictionary<string, string?> Limits = new()
    {
        ["Booking:MinimumLeadTimeMinutes"] = "120",
        ["Booking:MaximumDaysAhead"] = "5",
        ["Booking:MaxBookingsPerPractitionerPerDay"] = "2",
        ["Booking:MaxBookingsPerPractitionerPerWeek"] = "2",
    };

    private static async Task<GatewayServer> StartAsync()
    {
        var settings = TestTokens.GatewaySettings();
        foreach (var (key, value) in Limits)
        {
            settings[key] = value;
        }

        return await GatewayServer.StartAsync(settings);
    }

    private static DateTimeOffset Day(int days) => new DateTimeOffset(DateTimeOffset.UtcNow.Date, TimeSpan.Zero).AddDays(days);

    private static Appointment.ParticipantComponent Taking(string reference) =>
        new() { Actor = new ResourceReference(reference), Status = ParticipationStatus.Accepted };

    private static async Task<Appointment> TakeAsync(InMemoryFhirStore store, DateTimeOffset start, string practitioner, string patient, bool hold = false, string? slot = null)
    {
        var appointment = new Appointment
        {
            Status = hold ? Appointment.AppointmentStatus.Pending : Appointment.AppointmentStatus.Booked,
            Start = start,
            End = start.AddMinutes(30),
            Participant = [Taking(practitioner), Taking(patient)],
            Slot = slot is null ? [] : [new ResourceReference("Slot/" + slot)],
        };
        if (hold)
        {
            appointment.Extension.Add(new Extension(GatewayProfile.HoldExpiresExtension, new Instant(DateTimeOffset.UtcNow.AddHours(1))));
        }

        return await store.CreateAsync(appointment, None);
    }

    private static async Task<JsonArray> ExplainAsync(GatewayServer gateway, object input, string token)
    {
        var answer = await gateway.QueryAsync(Explain, new { input }, token);
        return answer.At("data.explainAvailability") as JsonArray ?? throw new InvalidOperationException(answer.ToJsonString());
    }

    private static IEnumerable<string> Reasons(JsonNode? time) => time!["reasons"]!.AsArray().Select(r => r!.GetValue<string>());

    private static JsonNode At(JsonArray times, DateTimeOffset start) =>
        times.Single(t => DateTimeOffset.Parse(t!["start"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) == start)!;

    private static string Iso(DateTimeOffset at) => at.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Every_reason_is_named_on_a_constructed_case_and_booked_time_shows_its_appointment_only_to_whoever_may_see_it()
    {
        await using var gateway = await StartAsync();
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 0);
        var practitioner = "Practitioner/" + world.Practitioner.Id;
        var patient = "Patient/" + world.Patient.Id;

        // A rule schedule: every day 09:00-12:00 UTC, 30 minutes, 15 minutes' buffer after; day 2 09:00-10:00 blocked; horizon to day 6.
        var schedule = new Schedule { Active = true, Actor = [new ResourceReference(practitioner)], PlanningHorizon = new Period(null, new FhirDateTime(Day(6))) };
        new AvailabilityRule("UTC", [new AvailableTime([.. Enum.GetValues<DayOfWeek>()], new TimeOnly(9, 0), new TimeOnly(12, 0))],
            [new NotAvailableTime(Day(2).AddHours(9), Day(2).AddHours(10), "training")], 30, 0, 15, 30).WriteTo(schedule);
        schedule = await store.CreateAsync(schedule, None);
        var booked = await TakeAsync(store, Day(1).AddHours(10), practitioner, patient);
        await TakeAsync(store, Day(1).AddHours(11), practitioner, patient, hold: true);

        var now = DateTimeOffset.UtcNow;
        var input = new { scheduleId = schedule.Id, start = Iso(now), end = Iso(now.AddDays(7)) };
        var asScheduler = await ExplainAsync(gateway, input, TestTokens.Scheduler());
        var named = asScheduler.SelectMany(Reasons).ToHashSet();

        foreach (var reason in new[] { "OUTSIDE_HOURS", "BUFFER", "BLOCKED", "HELD", "BOOKED", "OUTSIDE_HORIZON", "TOO_FAR_AHEAD", "LEAD_TIME", "DAY_CAP", "WEEK_CAP" })
        {
            Assert.Contains(reason, named);
        }

        Assert.Equal(["BOOKED", "DAY_CAP", "WEEK_CAP"], Reasons(At(asScheduler, Day(1).AddHours(10))).Order());
        Assert.Equal(["BUFFER", "DAY_CAP", "WEEK_CAP"], Reasons(At(asScheduler, Day(1).AddHours(9).AddMinutes(30))).Order());
        Assert.Contains("HELD", Reasons(At(asScheduler, Day(1).AddHours(11))));
        Assert.Contains("BLOCKED", Reasons(At(asScheduler, Day(2).AddHours(9))));
        Assert.All(asScheduler, t => Assert.Equal(!Reasons(t).Any(), t!["offered"]!.GetValue<bool>()));

        // BOOKED by whom: the scheduler and the patient themselves see the appointment; another patient sees only the reason.
        Assert.Equal([booked.Id], At(asScheduler, Day(1).AddHours(10))["takenBy"]!.AsArray().Select(a => a!["fhirId"]!.GetValue<string>()));
        var asOwner = await ExplainAsync(gateway, input, TestTokens.Patient(world.Patient.Id!));
        Assert.Equal([booked.Id], At(asOwner, Day(1).AddHours(10))["takenBy"]!.AsArray().Select(a => a!["fhirId"]!.GetValue<string>()));
        var asOther = await ExplainAsync(gateway, input, TestTokens.Patient(world.OtherPatient.Id!));
        Assert.Contains("BOOKED", Reasons(At(asOther, Day(1).AddHours(10))));
        Assert.Empty(At(asOther, Day(1).AddHours(10))["takenBy"]!.AsArray());

        // An inactive schedule: every candidate says so.
        schedule.Active = false;
        await store.UpdateAsync(schedule, null, None);
        var inactive = await ExplainAsync(gateway, input, TestTokens.Scheduler());
        Assert.NotEmpty(inactive);
        Assert.All(inactive, t => Assert.Contains("INACTIVE_SCHEDULE", Reasons(t)));
    }

    [Fact]
    public async Task A_free_slot_schedules_slots_are_explained_by_their_status_and_seats()
    {
        await using var gateway = await StartAsync();
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 5, daysAhead: 2);
        var slots = world.Slots.ToList();
        slots[1].Status = Slot.SlotStatus.BusyUnavailable;
        slots[2].Status = Slot.SlotStatus.BusyTentative;
        slots[3].Status = Slot.SlotStatus.Busy;
        slots[4].Status = Slot.SlotStatus.Busy;
        slots[4].Extension.AddRange(SlotSeats.CapacityExtensions(2));
        foreach (var slot in slots.Skip(1))
        {
            await store.UpdateAsync(slot, null, None);
        }

        // Two seats taken by patients of another practitioner (the seats are the slot's; its practitioner's time is not taken by them).
        await TakeAsync(store, slots[4].Start!.Value, "Practitioner/someone-else", "Patient/" + world.Patient.Id, slot: slots[4].Id);
        await TakeAsync(store, slots[4].Start!.Value, "Practitioner/someone-else", "Patient/" + world.OtherPatient.Id, slot: slots[4].Id);

        var times = await ExplainAsync(gateway, new { scheduleId = world.Schedule.Id, start = Iso(slots[0].Start!.Value.AddHours(-1)), end = Iso(slots[^1].End!.Value.AddHours(1)) }, TestTokens.Scheduler());

        Assert.Empty(Reasons(At(times, slots[0].Start!.Value)));
        Assert.True(At(times, slots[0].Start!.Value)["offered"]!.GetValue<bool>());
        Assert.Equal(["BLOCKED"], Reasons(At(times, slots[1].Start!.Value)));
        Assert.Equal(["HELD"], Reasons(At(times, slots[2].Start!.Value)));
        Assert.Equal(["BOOKED"], Reasons(At(times, slots[3].Start!.Value)));
        Assert.Equal(["CAPACITY_FULL"], Reasons(At(times, slots[4].Start!.Value)));
    }

    [Fact]
    public async Task A_span_longer_than_a_week_is_refused_as_bad_input()
    {
        await using var gateway = await StartAsync();
        var answer = await gateway.QueryAsync(Explain, new { input = new { scheduleId = "x", start = Iso(DateTimeOffset.UtcNow), end = Iso(DateTimeOffset.UtcNow.AddDays(8)) } }, TestTokens.Scheduler());
        Assert.Equal("BAD_USER_INPUT", answer.At("errors.0.extensions.code")?.GetValue<string>());
    }

    /// <summary>A generated practice: a rule or free slots, bookings, holds, blocks and seats, near now (lead time, caps).</summary>
    private static readonly Gen<(bool Rule, int Align, int Buffer, int Capacity, (int Slot, int Kind)[] Taken, int Duration)> Practices =
        from rule in Gen.Bool
        from align in Gen.Int[0, 2].Select(i => new[] { 15, 30, 60 }[i])
        from buffer in Gen.Int[0, 20]
        from capacity in Gen.Int[1, 3]
        from taken in Gen.Select(Gen.Int[0, (5 * 16) - 1], Gen.Int[0, 4]).Array[0, 12]
        from duration in Gen.Int[0, 2].Select(i => new[] { 30, 45, 60 }[i])
        select (rule, align, buffer, capacity, taken, duration);

    [Fact]
    public async Task Availability_offers_exactly_the_explained_candidates_with_no_reason()
    {
        await using var gateway = await StartAsync();
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        await Practices.SampleAsync(async practice =>
        {
            var world = await BookingWorld.CreateAsync(store, slots: 0);
            var practitioner = "Practitioner/" + world.Practitioner.Id;
            var first = new DateTimeOffset(DateTimeOffset.UtcNow.Date, TimeSpan.Zero).AddHours(8);
            var schedule = new Schedule { Active = true, Actor = [new ResourceReference(practitioner)] };
            if (practice.Rule)
            {
                new AvailabilityRule("UTC", [new AvailableTime([.. Enum.GetValues<DayOfWeek>()], new TimeOnly(8, 0), new TimeOnly(16, 0))], [], 30, 0, practice.Buffer, practice.Align, practice.Capacity)
                    .WriteTo(schedule);
            }

            schedule = await store.CreateAsync(schedule, None);
            var slots = new List<Slot>();
            for (var day = 0; day < 5 && !practice.Rule; day++)
            {
                for (var i = 0; i < 16; i++)
                {
                    var start = first.AddDays(day).AddMinutes(30 * i);
                    slots.Add(await store.CreateAsync(new Slot
                    {
                        Schedule = new ResourceReference("Schedule/" + schedule.Id), Status = Slot.SlotStatus.Free, Start = start, End = start.AddMinutes(30),
                        Extension = [.. SlotSeats.CapacityExtensions(practice.Capacity)],
                    }, None));
                }
            }

            foreach (var (at, kind) in practice.Taken.DistinctBy(t => t.Slot))
            {
                var start = first.AddDays(at / 16).AddMinutes(30 * (at % 16));
                var slot = slots.Count > 0 ? slots[at] : null;
                if (kind == 3 && slot is not null)
                {
                    slot.Status = Slot.SlotStatus.BusyUnavailable;
                    await store.UpdateAsync(slot, null, None);
                    continue;
                }

                await TakeAsync(store, start, practitioner, "Patient/" + world.Patient.Id, hold: kind == 1, slot: slot?.Id);
            }

            using var scope = gateway.Services.CreateScope();
            var search = scope.ServiceProvider.GetRequiredService<AvailabilitySearch>();
            var input = new AvailabilityInput { ScheduleIds = [schedule.Id!], Start = first.AddHours(-8), End = first.AddDays(5), DurationMinutes = practice.Duration };
            var offered = (await search.FindAsync(input, None)).Select(o => o.Offered).ToList();
            var explained = await search.ExplainAsync(input, None);

            Assert.Equal(explained.Where(e => e.Reasons == Unoffered.None).Select(e => e.Option.Offered), offered);
            Assert.All(explained.Where(e => e.Offered), e => Assert.Empty(e.TakenBy));
        }, iter: 40, threads: 1);
    }
}
