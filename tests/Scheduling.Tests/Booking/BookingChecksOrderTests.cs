using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Booking;

/// <summary>
/// The booking core's order and its exactness, on the embedded store: authorization before anything tells a slot's
/// status or writes; the booking rules before any guard is written; an expired hold never counts toward the patient
/// limit; no appointment longer than the overlap search looks back; a reused clientMutationId answers success only
/// for exactly the same time.
/// </summary>
public sealed class BookingChecksOrderTests
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { __typename ... on ValidationError { rule } ... on BookingRuleError { rule } } } }
        """;

    private const string Hold = """
        mutation($input: HoldSlotsInput!) { holdSlots(input: $input) { appointment { fhirId } errors { __typename } } }
        """;

    private static CancellationToken None => CancellationToken.None;

    private static async Task<(GatewayServer Gateway, InMemoryFhirStore Store)> StartAsync(ShiftedTimeProvider clock, params (string Key, string Value)[] settings)
    {
        var all = TestTokens.GatewaySettings();
        all["Booking:HoldSweepSeconds"] = "3600";
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var gateway = await GatewayServer.StartAsync(all, services => services.AddSingleton<TimeProvider>(clock));
        return (gateway, gateway.Services.GetRequiredService<InMemoryFhirStore>());
    }

    private static async Task<int> CountAsync<T>(IFhirStore store) where T : Resource =>
        (await store.SearchAllAsync<T>(new FhirQuery(typeof(T).Name), None)).Count;

    private static string? ErrorOf(JsonNode response, string field) => response.At($"data.{field}.errors.0.__typename")?.GetValue<string>();

    [Fact]
    public async Task A_practitioner_who_may_not_book_on_a_schedule_is_forbidden_before_any_slot_status_is_told_or_anything_written()
    {
        var clock = new ShiftedTimeProvider();
        var (gateway, store) = await StartAsync(clock);
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store);
        var admin = TestTokens.Admin();
        Assert.Null(ErrorOf(await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.OtherPatient.Id } }, admin), "bookAppointment"));
        var hold = await gateway.QueryAsync(Hold, new { input = new { slotIds = new[] { world.SlotId(1) }, patientId = world.OtherPatient.Id, holdMinutes = 5 } }, admin);
        var holdId = hold.At("data.holdSlots.appointment.fhirId")!.GetValue<string>();
        clock.Offset = TimeSpan.FromMinutes(6);
        var stranger = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Stranger" }] }, None);
        var (guards, appointments) = (await CountAsync<Basic>(store), await CountAsync<Appointment>(store));

        foreach (var slot in new[] { world.SlotId(0), world.SlotId(1), world.SlotId(2) })
        {
            var response = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { slot }, patientId = world.Patient.Id } }, TestTokens.Practitioner(stranger.Id!));
            Assert.True(ErrorOf(response, "bookAppointment") == "ForbiddenError", response.ToJsonString());
        }

        Assert.Equal(Appointment.AppointmentStatus.Pending, (await store.ReadAsync<Appointment>(holdId, None))!.Status);
        Assert.Equal(Slot.SlotStatus.BusyTentative, (await store.ReadAsync<Slot>(world.SlotId(1), None))!.Status);
        Assert.Equal((guards, appointments), (await CountAsync<Basic>(store), await CountAsync<Appointment>(store)));
    }

    [Fact]
    public async Task A_booking_refused_by_a_booking_rule_writes_no_guard()
    {
        var (gateway, store) = await StartAsync(new ShiftedTimeProvider(), ("Booking:MaximumDaysAhead", "1"));
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store, daysAhead: 3);
        var guards = await CountAsync<Basic>(store);

        var response = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id } }, TestTokens.Admin());

        Assert.Equal("maximum-days-ahead", response.At("data.bookAppointment.errors.0.rule")?.GetValue<string>());
        Assert.Equal(guards, await CountAsync<Basic>(store));
    }

    [Fact]
    public async Task An_expired_hold_does_not_count_toward_the_patients_open_bookings_before_the_sweeper_runs()
    {
        var clock = new ShiftedTimeProvider();
        var (gateway, store) = await StartAsync(clock, ("Booking:MaxOpenBookingsPerPatient", "1"));
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store);
        var admin = TestTokens.Admin();
        Assert.Null(ErrorOf(await gateway.QueryAsync(Hold, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id, holdMinutes = 5 } }, admin), "holdSlots"));
        var refused = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(3) }, patientId = world.Patient.Id } }, admin);
        Assert.Equal("max-open-bookings", refused.At("data.bookAppointment.errors.0.rule")?.GetValue<string>());

        clock.Offset = TimeSpan.FromMinutes(6);
        var booked = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(3) }, patientId = world.Patient.Id } }, admin);

        Assert.True(booked.At("data.bookAppointment.appointment.fhirId") is not null, booked.ToJsonString());
    }

    /// <summary>The appointment overlap search looks back one day: a longer appointment would be unseen by a later booking inside it.</summary>
    [Fact]
    public async Task An_appointment_longer_than_the_overlap_searchs_look_back_is_refused_with_a_typed_error()
    {
        var (gateway, store) = await StartAsync(new ShiftedTimeProvider());
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store, slots: 0, daysAhead: 4);
        var start = DateTimeOffset.UtcNow.Date.AddDays(4);
        var ids = new List<string>();
        for (var i = 0; i < 13; i++)
        {
            ids.Add((await store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + world.Schedule.Id),
                Status = Slot.SlotStatus.Free,
                Start = new DateTimeOffset(start, TimeSpan.Zero).AddHours(2 * i),
                End = new DateTimeOffset(start, TimeSpan.Zero).AddHours(2 * (i + 1)),
            }, None)).Id!);
        }

        var appointments = await CountAsync<Appointment>(store);
        var response = await gateway.QueryAsync(Book, new { input = new { slotIds = ids, patientId = world.Patient.Id } }, TestTokens.Admin());

        Assert.True(response.At("data.bookAppointment.errors.0.rule")?.GetValue<string>() == "max-length", response.ToJsonString());
        Assert.Equal(appointments, await CountAsync<Appointment>(store));
        var twelve = await gateway.QueryAsync(Book, new { input = new { slotIds = ids.Take(12), patientId = world.Patient.Id } }, TestTokens.Admin());
        Assert.True(twelve.At("data.bookAppointment.appointment.fhirId") is not null, twelve.ToJsonString());
    }

    [Fact]
    public async Task A_reused_clientMutationId_answers_success_only_for_exactly_the_same_slots()
    {
        var (gateway, store) = await StartAsync(new ShiftedTimeProvider());
        await using var _ = gateway;
        var world = await BookingWorld.CreateAsync(store);
        var admin = TestTokens.Admin();
        var key = "k-" + Guid.NewGuid().ToString("N");
        var first = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0), world.SlotId(1) }, patientId = world.Patient.Id, clientMutationId = key } }, admin);
        var id = first.At("data.bookAppointment.appointment.fhirId")!.GetValue<string>();

        var again = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(1), world.SlotId(0) }, patientId = world.Patient.Id, clientMutationId = key } }, admin);
        var subset = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id, clientMutationId = key } }, admin);

        Assert.Equal(id, again.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>());
        Assert.True(subset.At("data.bookAppointment.errors.0.rule")?.GetValue<string>() == "idempotency-key", subset.ToJsonString());
        Assert.Null(subset.At("data.bookAppointment.appointment"));
    }
}
