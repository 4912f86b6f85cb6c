using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using static Scheduling.Testing.GraphQLMutations;

namespace Scheduling.Tests.Booking;

/// <summary>
/// A FHIR server's refusal of a change is typed in one place (<see cref="FhirRefusal"/>): an appointment change and a
/// schedule change refused the same way answer the same error.
/// </summary>
public sealed class FhirRefusalTests
{
    [Fact]
    public async Task A_refused_booking_and_a_refused_block_answer_the_same_typed_error()
    {
        var refusing = new WriteRefusal();
        await using var gateway = await GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Booking:HoldSweepSeconds"] = "3600" },
            services => services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (provider, _) => WriteRefusingStore(provider.GetRequiredService<InMemoryFhirStore>(), refusing)));
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        refusing.On = true;

        var booked = await gateway.MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }, "appointment { id }");
        var blocked = await gateway.MutateAsync("blockTime", "BlockTimeInput",
            new { scheduleId = world.Schedule.Id, start = Iso(world.Slots[1].Start!.Value), end = Iso(world.Slots[1].End!.Value) }, "slot { id }");

        var expected = FhirRefusal.Of(new FhirRequestRejectedException("refused"))!;
        Assert.Equal(("CONFLICT", expected.Message), Error(booked));
        Assert.Equal(("CONFLICT", expected.Message), Error(blocked));
    }

    /// <summary>
    /// A status change and a cancellation that lose their If-Match to someone else's change answer the one wording of
    /// a version conflict (<see cref="FhirRefusal"/>), as a booking's block does.
    /// </summary>
    [Fact]
    public async Task Appointment_changes_that_lose_their_version_answer_the_one_conflict_wording()
    {
        var refusing = new WriteRefusal { With = () => new FhirVersionConflictException("412 Precondition Failed") };
        var clock = new ShiftedTimeProvider();
        await using var gateway = await GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Booking:HoldSweepSeconds"] = "3600" },
            services =>
            {
                services.AddSingleton<TimeProvider>(clock);
                services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (provider, _) => WriteRefusingStore(provider.GetRequiredService<InMemoryFhirStore>(), refusing));
            });
        var world = await BookingWorld.CreateAsync(gateway.Services.GetRequiredService<InMemoryFhirStore>());
        var booked = await gateway.MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }, "appointment { id: fhirId }");
        var appointmentId = booked.At("appointment.id")!.GetValue<string>();
        // The appointment's start has come: arrival is allowed, only the write is lost.
        clock.Offset = world.Slots[0].Start!.Value - DateTimeOffset.UtcNow;
        refusing.On = true;

        var cancelled = await gateway.MutateAsync("cancelAppointment", "CancelAppointmentInput", new { appointmentId, reason = "lost race" }, "appointment { id }");
        var arrived = await gateway.MutateAsync("changeAppointmentStatus", "ChangeAppointmentStatusInput", new { appointmentId, status = "ARRIVED" }, "appointment { id }");

        var expected = FhirRefusal.Of(new FhirVersionConflictException("412"))!;
        Assert.Equal(("CONFLICT", expected.Message), Error(cancelled));
        Assert.Equal(("CONFLICT", expected.Message), Error(arrived));
    }

    private static (string?, string?) Error(JsonNode payload) =>
        (payload.At("errors.0.code")?.GetValue<string>(), payload.At("errors.0.message")?.GetValue<string>() ?? payload.ToJsonString());

    private sealed class WriteRefusal
    {
        public bool On { get; set; }

        /// <summary>What a refused write throws: a 4xx unless a test says otherwise.</summary>
        public Func<FhirException> With { get; init; } = () => new FhirRequestRejectedException("The FHIR server answered 422.");
    }

    /// <summary>Reads as the store does; once <see cref="WriteRefusal.On"/>, refuses every write as <see cref="WriteRefusal.With"/> says.</summary>
    private static InterceptedFhirStore WriteRefusingStore(IFhirStore inner, WriteRefusal refusal) =>
        new(inner, (_, _) => refusal.On ? Task.FromException(refusal.With()) : Task.CompletedTask);
}
