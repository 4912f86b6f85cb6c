using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Booking;

/// <summary>The booking rules pipeline: the built-in rules from settings and a custom rule from DI.</summary>
public sealed class BookingRulesTests
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { __typename ... on ValidationError { rule message } ... on BookingRuleError { rule message } } } }
        """;

    [Fact]
    public async Task Each_rule_refuses_with_a_BookingRuleError_naming_it()
    {
        await using var gateway = await GatewayServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Booking:MinimumLeadTimeMinutes"] = "240",
                ["Booking:MaximumDaysAhead"] = "30",
                ["Booking:MaxOpenBookingsPerPatient"] = "1",
            },
            services => services.AddSingleton<IBookingRule, NoFlandersRule>());
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var inAnHour = DateTimeOffset.UtcNow.AddHours(1);
        var soon = await BookingWorld.CreateAsync(store, firstStart: inAnHour.AddTicks(-(inAnHour.Ticks % TimeSpan.TicksPerMinute)));
        var far = await BookingWorld.CreateAsync(store, daysAhead: 40);
        var fine = await BookingWorld.CreateAsync(store, daysAhead: 5);

        async Task<string?> RuleOf(string slotId, string patientId)
        {
            var response = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { slotId }, patientId } });
            return response.At("data.bookAppointment.errors.0.rule")?.GetValue<string>();
        }

        Assert.Equal("minimum-lead-time", await RuleOf(soon.SlotId(0), soon.Patient.Id!));
        Assert.Equal("maximum-days-ahead", await RuleOf(far.SlotId(0), far.Patient.Id!));
        Assert.Null(await RuleOf(fine.SlotId(0), fine.Patient.Id!));
        Assert.Equal("max-open-bookings", await RuleOf(fine.SlotId(2), fine.Patient.Id!));

        var ned = await store.CreateAsync(new Patient { Name = [new HumanName { Given = ["Ned"], Family = "Flanders" }] }, CancellationToken.None);
        Assert.Equal("no-flanders", await RuleOf(fine.SlotId(4), ned.Id!));
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(fine.SlotId(4), CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Booking_on_an_inactive_schedule_is_refused_with_a_typed_error_and_writes_nothing()
    {
        await using var gateway = await GatewayServer.StartAsync();
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var inactive = await BookingWorld.CreateAsync(store, daysAhead: 5, schedule: s => s.Active = false);

        var response = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { inactive.SlotId(0) }, patientId = inactive.Patient.Id } });

        Assert.Equal(("ValidationError", "active-schedule"),
            (response.At("data.bookAppointment.errors.0.__typename")?.GetValue<string>(), response.At("data.bookAppointment.errors.0.rule")?.GetValue<string>()));
        Assert.Null(response.At("data.bookAppointment.appointment"));
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(inactive.SlotId(0), CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Booking_on_a_schedule_of_a_room_alone_lists_only_real_participants()
    {
        await using var gateway = await GatewayServer.StartAsync();
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var room = await BookingWorld.CreateAsync(store, daysAhead: 5, schedule: s => s.Actor.RemoveAll(a => a.Reference?.StartsWith("Practitioner/", StringComparison.Ordinal) == true));

        var response = await gateway.QueryAsync(Book, new { input = new { slotIds = new[] { room.SlotId(0) }, patientId = room.Patient.Id } });

        var id = response.At("data.bookAppointment.appointment.fhirId")!.GetValue<string>();
        var appointment = (await store.ReadAsync<Appointment>(id, CancellationToken.None))!;
        Assert.Equal(
            new[] { "Location/" + room.Location.Id, "Patient/" + room.Patient.Id }.Order(),
            appointment.Participant.Select(p => p.Actor?.Reference ?? "(none)").Order());
    }

    /// <summary>A custom rule, as a deployment would add one.</summary>
    private sealed class NoFlandersRule : IBookingRule
    {
        public string Name => "no-flanders";

        public ValueTask<string?> CheckAsync(BookingRuleContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.Patient.Name.Any(n => n.Family == "Flanders") ? "This practice does not see the Flanders family." : null);
    }
}
