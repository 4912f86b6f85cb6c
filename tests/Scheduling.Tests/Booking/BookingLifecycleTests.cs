using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Every path of the booking lifecycle (SCHEDULING.md) over HTTP, asserted in the GraphQL payload and again in FHIR
/// itself. Runs against the embedded store and against Medplum's engine, with transactions and with compensation.
/// </summary>
public abstract class BookingLifecycleTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    public const string AppointmentFields = """
        fragment A on Appointment {
          fhirId status start end minutesDuration holdExpiresAt cancelationReason { text }
          slots { fhirId status }
          patient { fhirId displayName }
          practitioners { fhirId }
          participants { actor { __typename ... on Practitioner { fhirId } ... on Patient { fhirId } ... on Location { fhirId } } status required }
        }
        fragment E on Error {
          __typename
          ... on Error { code message }
          ... on ValidationError { field rule }
          ... on SlotUnavailableError { slotIds }
          ... on InvalidTransitionError { from to }
        }
        """;

    private static CancellationToken None => CancellationToken.None;

    [Fact]
    public async Task Booking_contiguous_slots_books_the_appointment_and_makes_the_slots_busy()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var payload = await RunAsync("bookAppointment", "BookAppointmentInput",
            new { slotIds = new[] { world.SlotId(1), world.SlotId(0) }, patientId = world.Patient.Id, reason = "Annual check-up" });

        AssertNoErrors(payload);
        var appointment = payload["appointment"]!;
        Assert.Equal("BOOKED", Str(appointment, "status"));
        Assert.Equal(60, appointment["minutesDuration"]!.GetValue<int>());
        Assert.Equal(world.Patient.Id, Str(appointment, "patient.fhirId"));
        Assert.Equal(world.Practitioner.Id, Str(appointment, "practitioners.0.fhirId"));
        Assert.All(appointment["participants"]!.AsArray(), p => Assert.Equal("ACCEPTED", Str(p, "status")));
        Assert.Contains(appointment["participants"]!.AsArray(), p => Str(p, "actor.__typename") == "Location");
        Assert.All(appointment["slots"]!.AsArray(), s => Assert.Equal("BUSY", Str(s, "status")));

        // FHIR agrees.
        Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadAsync<Slot>(world.SlotId(0), None))!.Status);
        Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadAsync<Slot>(world.SlotId(1), None))!.Status);
        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(world.SlotId(2), None))!.Status);
        var stored = (await Store.ReadAsync<Appointment>(Str(appointment, "fhirId"), None))!;
        Assert.Equal(Appointment.AppointmentStatus.Booked, stored.Status);
        Assert.Equal("Annual check-up", stored.ReasonCode[0].Text);
    }

    [Fact]
    public async Task Booking_refuses_gaps_taken_slots_and_unknown_patients_or_slots_with_typed_errors()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var gap = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0), world.SlotId(2) }, patientId = world.Patient.Id });
        Assert.Equal(("ValidationError", "slotIds"), (Str(gap, "errors.0.__typename"), Str(gap, "errors.0.field")));

        var unknownPatient = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = "no-such-patient" });
        Assert.Equal("NOT_FOUND", Str(unknownPatient, "errors.0.code"));

        var unknownSlot = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { "no-such-slot" }, patientId = world.Patient.Id });
        Assert.Equal("NotFoundError", Str(unknownSlot, "errors.0.__typename"));

        AssertNoErrors(await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(3) }, patientId = world.Patient.Id }));
        var taken = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(3) }, patientId = world.OtherPatient.Id });
        Assert.Equal("SLOT_UNAVAILABLE", Str(taken, "errors.0.code"));
        Assert.Equal(GlobalId.Encode("Slot", world.SlotId(3)), Str(taken, "errors.0.slotIds.0"));
        Assert.Null(taken["appointment"]);

        // Nothing the refused attempts did is left in FHIR.
        Assert.Single(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None));
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.OtherPatient.Id), None));
    }

    [Fact]
    public async Task Retrying_with_the_same_client_mutation_id_returns_the_same_appointment()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var input = new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id, clientMutationId = "retry-" + Guid.NewGuid() };

        var attempts = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => RunAsync("bookAppointment", "BookAppointmentInput", input)));
        var again = await RunAsync("bookAppointment", "BookAppointmentInput", input);

        Assert.All(attempts.Append(again), AssertNoErrors);
        Assert.Single(attempts.Append(again).Select(a => Str(a, "appointment.fhirId")).Distinct());
        Assert.Equal(input.clientMutationId, Str(again, "clientMutationId"));
        Assert.Single(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("slot", "Slot/" + world.SlotId(0)), None));
    }

    [Fact]
    public async Task A_hold_takes_the_slots_tentatively_blocks_everyone_else_and_confirms_into_a_booking()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var hold = await RunAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id, holdMinutes = 15 });
        AssertNoErrors(hold);
        Assert.Equal("PENDING", Str(hold, "appointment.status"));
        Assert.Equal("BUSY_TENTATIVE", Str(hold, "appointment.slots.0.status"));
        var expires = DateTimeOffset.Parse(Str(hold, "appointment.holdExpiresAt"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(14), DateTimeOffset.UtcNow.AddMinutes(16));

        var other = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.OtherPatient.Id });
        Assert.Equal("SLOT_UNAVAILABLE", Str(other, "errors.0.code"));
        var otherHold = await RunAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.OtherPatient.Id });
        Assert.Equal("SLOT_UNAVAILABLE", Str(otherHold, "errors.0.code"));

        var confirmed = await RunAsync("confirmAppointment", "ConfirmAppointmentInput", new { appointmentId = Str(hold, "appointment.fhirId") });
        AssertNoErrors(confirmed);
        Assert.Equal("BOOKED", Str(confirmed, "appointment.status"));
        Assert.Null(confirmed.At("appointment.holdExpiresAt"));
        Assert.Equal("BUSY", Str(confirmed, "appointment.slots.0.status"));
        Assert.All(confirmed["appointment"]!["participants"]!.AsArray(), p => Assert.Equal("ACCEPTED", Str(p, "status")));
        Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadAsync<Slot>(world.SlotId(0), None))!.Status);
    }

    [Fact]
    public async Task Cancelling_frees_the_slots_for_the_next_patient_and_needs_a_reason()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var booked = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0), world.SlotId(1) }, patientId = world.Patient.Id });
        var id = Str(booked, "appointment.fhirId");

        var noReason = await RunAsync("cancelAppointment", "CancelAppointmentInput", new { appointmentId = id, reason = " " });
        Assert.Equal(("ValidationError", "reason"), (Str(noReason, "errors.0.__typename"), Str(noReason, "errors.0.field")));

        var cancelled = await RunAsync("cancelAppointment", "CancelAppointmentInput", new { appointmentId = id, reason = "Feeling better" });
        AssertNoErrors(cancelled);
        Assert.Equal("CANCELLED", Str(cancelled, "appointment.status"));
        Assert.Equal("Feeling better", Str(cancelled, "appointment.cancelationReason.text"));
        Assert.All(cancelled["appointment"]!["slots"]!.AsArray(), s => Assert.Equal("FREE", Str(s, "status")));

        var next = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.OtherPatient.Id });
        AssertNoErrors(next);
    }

    [Fact]
    public async Task Rescheduling_takes_the_new_slots_and_frees_the_old_or_changes_nothing()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var booked = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id });
        var id = Str(booked, "appointment.fhirId");
        AssertNoErrors(await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(5) }, patientId = world.OtherPatient.Id }));

        var moved = await RunAsync("rescheduleAppointment", "RescheduleAppointmentInput", new { appointmentId = id, slotIds = new[] { world.SlotId(3), world.SlotId(4) } });
        AssertNoErrors(moved);
        Assert.Equal([world.SlotId(3), world.SlotId(4)], moved["appointment"]!["slots"]!.AsArray().Select(s => Str(s, "fhirId")));
        Assert.Equal(60, moved.At("appointment.minutesDuration")!.GetValue<int>());
        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(world.SlotId(0), None))!.Status);
        Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadAsync<Slot>(world.SlotId(3), None))!.Status);

        // Onto someone else's slot: refused, and the appointment and its slots stay as they were.
        var clash = await RunAsync("rescheduleAppointment", "RescheduleAppointmentInput", new { appointmentId = id, slotIds = new[] { world.SlotId(5) } });
        Assert.Equal("SLOT_UNAVAILABLE", Str(clash, "errors.0.code"));
        var stored = (await Store.ReadAsync<Appointment>(id, None))!;
        Assert.Equal(["Slot/" + world.SlotId(3), "Slot/" + world.SlotId(4)], stored.Slot.Select(s => s.Reference));
        Assert.Equal(Slot.SlotStatus.Busy, (await Store.ReadAsync<Slot>(world.SlotId(4), None))!.Status);
    }

    [Fact]
    public async Task Status_follows_check_in_arrival_and_fulfilment()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var id = Str(await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }), "appointment.fhirId");
        await MoveToAsync(id, DateTimeOffset.UtcNow.AddMinutes(-5));
        foreach (var status in new[] { "CHECKED_IN", "ARRIVED", "FULFILLED" })
        {
            var changed = await RunAsync("changeAppointmentStatus", "ChangeAppointmentStatusInput", new { appointmentId = id, status });
            AssertNoErrors(changed);
            Assert.Equal(status, Str(changed, "appointment.status"));
        }

        Assert.Equal(Appointment.AppointmentStatus.Fulfilled, (await Store.ReadAsync<Appointment>(id, None))!.Status);
    }

    /// <summary>Each transition FHIR's state machine forbids, from a real appointment in that state.</summary>
    [Theory]
    [InlineData("booked", "status:FULFILLED", "BOOKED", "FULFILLED")]
    [InlineData("booked", "status:CANCELLED", "BOOKED", "CANCELLED")]
    [InlineData("booked", "status:BOOKED", "BOOKED", "BOOKED")]
    [InlineData("booked", "status:PENDING", "BOOKED", "PENDING")]
    [InlineData("booked", "confirm", "BOOKED", "BOOKED")]
    [InlineData("held", "status:CHECKED_IN", "PENDING", "CHECKED_IN")]
    [InlineData("held", "status:NOSHOW", "PENDING", "NOSHOW")]
    [InlineData("cancelled", "status:CHECKED_IN", "CANCELLED", "CHECKED_IN")]
    [InlineData("cancelled", "cancel", "CANCELLED", "CANCELLED")]
    [InlineData("cancelled", "confirm", "CANCELLED", "BOOKED")]
    [InlineData("cancelled", "reschedule", "CANCELLED", "BOOKED")]
    [InlineData("cancelled", "respond", "CANCELLED", "CANCELLED")]
    [InlineData("noshow", "status:ARRIVED", "NOSHOW", "ARRIVED")]
    [InlineData("noshow", "cancel", "NOSHOW", "CANCELLED")]
    [InlineData("fulfilled", "status:NOSHOW", "FULFILLED", "NOSHOW")]
    [InlineData("fulfilled", "cancel", "FULFILLED", "CANCELLED")]
    [InlineData("arrived", "cancel", "ARRIVED", "CANCELLED")]
    [InlineData("arrived", "status:CHECKED_IN", "ARRIVED", "CHECKED_IN")]
    [InlineData("booked", "status:NOSHOW", "BOOKED", "NOSHOW")] // three days before its start
    [InlineData("booked", "status:CHECKED_IN", "BOOKED", "CHECKED_IN")]
    [InlineData("booked", "status:ARRIVED", "BOOKED", "ARRIVED")]
    [InlineData("checked-in-early", "status:FULFILLED", "CHECKED_IN", "FULFILLED")] // 30 minutes before its start
    public async Task An_invalid_transition_is_an_InvalidTransitionError_and_changes_nothing(string state, string action, string from, string to)
    {
        var world = await BookingWorld.CreateAsync(Store);
        var id = await BringToAsync(world, state);
        var before = (await Store.ReadAsync<Appointment>(id, None))!.Meta!.VersionId;

        var payload = action switch
        {
            "confirm" => await RunAsync("confirmAppointment", "ConfirmAppointmentInput", new { appointmentId = id }),
            "cancel" => await RunAsync("cancelAppointment", "CancelAppointmentInput", new { appointmentId = id, reason = "test" }),
            "reschedule" => await RunAsync("rescheduleAppointment", "RescheduleAppointmentInput", new { appointmentId = id, slotIds = new[] { world.SlotId(5) } }),
            "respond" => await RunAsync("respondToAppointment", "RespondToAppointmentInput",
                new { appointmentId = id, actorId = "Practitioner/" + world.Practitioner.Id, participantStatus = "ACCEPTED" }, "appointment { ...A } response { fhirId }"),
            _ => await RunAsync("changeAppointmentStatus", "ChangeAppointmentStatusInput", new { appointmentId = id, status = action["status:".Length..] }),
        };

        Assert.Equal("InvalidTransitionError", Str(payload, "errors.0.__typename"));
        Assert.Equal("INVALID_TRANSITION", Str(payload, "errors.0.code"));
        Assert.Equal((from, to), (Str(payload, "errors.0.from"), Str(payload, "errors.0.to")));
        Assert.Equal(before, (await Store.ReadAsync<Appointment>(id, None))!.Meta!.VersionId);
    }

    [Fact]
    public async Task When_every_required_participant_accepts_the_request_is_booked()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var hold = await RunAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id });
        var id = Str(hold, "appointment.fhirId");
        Assert.Contains(hold["appointment"]!["participants"]!.AsArray(), p => Str(p, "status") == "NEEDS_ACTION");

        var answer = await RunAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = id, actorId = "Practitioner/" + world.Practitioner.Id, participantStatus = "ACCEPTED", comment = "See you then" },
            "appointment { ...A } response { fhirId participantStatus comment actor { __typename } appointment { fhirId } }");

        AssertNoErrors(answer);
        Assert.Equal("BOOKED", Str(answer, "appointment.status"));
        Assert.Equal("BUSY", Str(answer, "appointment.slots.0.status"));
        Assert.Equal("ACCEPTED", Str(answer, "response.participantStatus"));
        Assert.Equal("Practitioner", Str(answer, "response.actor.__typename"));
        Assert.Equal(id, Str(answer, "response.appointment.fhirId"));
        Assert.Single(await Store.SearchAllAsync(new FhirQuery("AppointmentResponse").Where("appointment", "Appointment/" + id), None));
    }

    [Fact]
    public async Task A_required_decline_cancels_and_frees_and_a_counter_proposal_asks_everyone_again()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var first = Str(await RunAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }), "appointment.fhirId");
        var declined = await RunAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = first, actorId = "Practitioner/" + world.Practitioner.Id, participantStatus = "DECLINED" });
        AssertNoErrors(declined);
        Assert.Equal("CANCELLED", Str(declined, "appointment.status"));
        Assert.Equal("FREE", Str(declined, "appointment.slots.0.status"));
        Assert.Contains(declined["appointment"]!["participants"]!.AsArray(), p => Str(p, "status") == "DECLINED");

        var second = Str(await RunAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(1) }, patientId = world.Patient.Id }), "appointment.fhirId");
        var counter = await RunAsync("respondToAppointment", "RespondToAppointmentInput", new
        {
            appointmentId = second,
            actorId = "Practitioner/" + world.Practitioner.Id,
            participantStatus = "TENTATIVE",
            start = world.Slots[4].Start!.Value.ToString("O"),
            end = world.Slots[4].End!.Value.ToString("O"),
        }, "appointment { ...A } response { start end participantStatus }");
        AssertNoErrors(counter);
        Assert.Equal("PENDING", Str(counter, "appointment.status"));
        Assert.All(counter["appointment"]!["participants"]!.AsArray(), p => Assert.Equal("NEEDS_ACTION", Str(p, "status")));
        Assert.Equal("TENTATIVE", Str(counter, "response.participantStatus"));

        var stranger = await RunAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = second, actorId = "Patient/" + world.OtherPatient.Id, participantStatus = "ACCEPTED" });
        Assert.Equal(("ValidationError", "actorId"), (Str(stranger, "errors.0.__typename"), Str(stranger, "errors.0.field")));
    }

    [Fact]
    public async Task A_required_participant_not_accepting_a_booked_appointment_puts_it_back_to_pending_with_its_time_still_taken()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var id = Str(await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }), "appointment.fhirId");

        var counter = await RunAsync("respondToAppointment", "RespondToAppointmentInput", new
        {
            appointmentId = id,
            actorId = "Practitioner/" + world.Practitioner.Id,
            participantStatus = "TENTATIVE",
            start = world.Slots[4].Start!.Value.ToString("O"),
            end = world.Slots[4].End!.Value.ToString("O"),
        }, "appointment { ...A } response { participantStatus }");
        AssertNoErrors(counter);
        Assert.Equal("PENDING", Str(counter, "appointment.status"));
        Assert.Equal("BUSY_TENTATIVE", Str(counter, "appointment.slots.0.status"));
        Assert.All(counter["appointment"]!["participants"]!.AsArray(), p => Assert.Equal("NEEDS_ACTION", Str(p, "status")));
        Assert.Null(counter.At("appointment.holdExpiresAt"));
        Assert.Equal(Slot.SlotStatus.BusyTentative, (await Store.ReadAsync<Slot>(world.SlotId(0), None))!.Status);

        // Its time is still taken while everyone answers.
        var other = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.OtherPatient.Id });
        Assert.Equal("SLOT_UNAVAILABLE", Str(other, "errors.0.code"));

        foreach (var actor in new[] { "Patient/" + world.Patient.Id, "Location/" + world.Location.Id })
        {
            var accepted = await RunAsync("respondToAppointment", "RespondToAppointmentInput", new { appointmentId = id, actorId = actor, participantStatus = "ACCEPTED" });
            Assert.Equal("PENDING", Str(accepted, "appointment.status"));
        }

        var booked = await RunAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = id, actorId = "Practitioner/" + world.Practitioner.Id, participantStatus = "ACCEPTED" });
        AssertNoErrors(booked);
        Assert.Equal(("BOOKED", "BUSY"), (Str(booked, "appointment.status"), Str(booked, "appointment.slots.0.status")));

        // Needs-action without a new time does the same.
        var again = await RunAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = id, actorId = "Patient/" + world.Patient.Id, participantStatus = "NEEDS_ACTION" });
        Assert.Equal(("PENDING", "BUSY_TENTATIVE"), (Str(again, "appointment.status"), Str(again, "appointment.slots.0.status")));
        Assert.Equal(Appointment.AppointmentStatus.Pending, (await Store.ReadAsync<Appointment>(id, None))!.Status);
    }

    [Fact]
    public async Task Reusing_a_client_mutation_id_for_other_slots_is_a_typed_error_that_books_nothing()
    {
        var world = await BookingWorld.CreateAsync(Store);
        var key = "reuse-" + Guid.NewGuid();
        var first = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id, clientMutationId = key });
        AssertNoErrors(first);

        var reused = await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(1) }, patientId = world.Patient.Id, clientMutationId = key });
        var held = await RunAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(0), world.SlotId(1) }, patientId = world.Patient.Id, clientMutationId = key });

        foreach (var payload in new[] { reused, held })
        {
            Assert.Equal(("ValidationError", "clientMutationId"), (Str(payload, "errors.0.__typename"), Str(payload, "errors.0.field")));
            Assert.Null(payload["appointment"]);
        }

        Assert.Equal(Slot.SlotStatus.Free, (await Store.ReadAsync<Slot>(world.SlotId(1), None))!.Status);
        Assert.Single(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None));

        // Two bookings of other slots with one new key at the same moment: one wins, the other is told so.
        var racedKey = "race-" + Guid.NewGuid();
        var raced = await Task.WhenAll(new[] { 2, 4 }.Select(i =>
            RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(i) }, patientId = world.Patient.Id, clientMutationId = racedKey })));
        Assert.Single(raced, r => r["appointment"] is JsonObject);
        Assert.Single(raced, r => r.At("errors.0.field")?.GetValue<string>() == "clientMutationId");
        Assert.Equal(2, (await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), None)).Count);
    }

    /// <summary>Runs one mutation with its input as a variable; returns its payload.</summary>
    protected async Task<JsonNode> RunAsync(string field, string inputType, object input, string selection = "appointment { ...A }")
    {
        var gateway = await GatewayAsync();
        var response = await gateway.QueryAsync(
            $"mutation($input: {inputType}!) {{ {field}(input: $input) {{ {selection} clientMutationId errors {{ ...E }} }} }}\n{AppointmentFields}",
            new { input });
        Assert.True(response["errors"] is null, response.ToJsonString());
        return response.At("data." + field)!;
    }

    protected static void AssertNoErrors(JsonNode payload) =>
        Assert.True(payload["errors"]!.AsArray().Count == 0, payload["errors"]!.ToJsonString());

    protected static string Str(JsonNode? node, string path) => node.At(path)?.GetValue<string>() ?? throw new InvalidOperationException($"{path} missing in {node?.ToJsonString()}");

    /// <summary>A new appointment in the given state, reached through the API.</summary>
    private async Task<string> BringToAsync(BookingWorld world, string state)
    {
        if (state == "held")
        {
            return Str(await RunAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }), "appointment.fhirId");
        }

        var id = Str(await RunAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }), "appointment.fhirId");
        if (state is "noshow" or "arrived" or "fulfilled" or "checked-in-early")
        {
            await MoveToAsync(id, DateTimeOffset.UtcNow.AddMinutes(state == "checked-in-early" ? 30 : -5));
        }

        string[] steps = state switch
        {
            "cancelled" => ["cancel"],
            "noshow" => ["NOSHOW"],
            "arrived" => ["ARRIVED"],
            "fulfilled" => ["CHECKED_IN", "FULFILLED"],
            "checked-in-early" => ["CHECKED_IN"],
            _ => [],
        };
        foreach (var step in steps)
        {
            AssertNoErrors(step == "cancel"
                ? await RunAsync("cancelAppointment", "CancelAppointmentInput", new { appointmentId = id, reason = "setup" })
                : await RunAsync("changeAppointmentStatus", "ChangeAppointmentStatusInput", new { appointmentId = id, status = step }));
        }

        return id;
    }

    /// <summary>The appointment's time comes (or nears): it and its slots moved in FHIR to start then, as if days had passed.</summary>
    private Task MoveToAsync(string id, DateTimeOffset start) => Store.MoveAppointmentAsync(id, start);
}
