using System.Net;
using System.Text.Json.Nodes;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Security;

/// <summary>
/// Roles and compartments over HTTP, on Medplum's FHIR engine: a gateway that accepts only signed tokens, two
/// practitioners each with their own patients' appointments, and each role asking for what is and is not theirs.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class AuthorizationTests(MedplumFixture medplum)
{
    private const string Book = """
        mutation($slot: ID!, $patient: ID!) {
          bookAppointment(input: { slotIds: [$slot], patientId: $patient }) { appointment { fhirId } errors { __typename ... on Error { message } } }
        }
        """;

    private Task<GatewayServer> GatewayAsync() => medplum.GatewayAsync(TestTokens.Settings);

    /// <summary>Practitioner A's schedule with two appointments (A's patient and A's other patient), practitioner B's with one.</summary>
    private async Task<Practice> PracticeAsync(GatewayServer gateway)
    {
        var a = await BookingWorld.CreateAsync(medplum.Store);
        var b = await BookingWorld.CreateAsync(medplum.Store);
        var scheduler = TestTokens.Scheduler();
        async Task<string> BookAsync(string slot, string patient)
        {
            var booked = await gateway.QueryAsync(Book, new { slot, patient }, scheduler);
            return booked.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>() ?? throw new InvalidOperationException(booked.ToJsonString());
        }

        return new Practice(a, b, await BookAsync(a.SlotId(0), a.Patient.Id!), await BookAsync(a.SlotId(1), a.OtherPatient.Id!), await BookAsync(b.SlotId(0), b.Patient.Id!));
    }

    [Fact]
    public async Task Without_a_valid_token_nothing_is_served_and_a_bad_token_is_never_taken_as_anonymous()
    {
        var gateway = await GatewayAsync();
        var expired = TestTokens.Issue(TestTokens.SigningKey, DateTime.UtcNow.AddMinutes(-30), ("role", "admin"));
        var forged = TestTokens.Issue("another-key-that-is-at-least-32-bytes", DateTime.UtcNow.AddMinutes(10), ("role", "admin"));
        foreach (var token in new[] { null, expired, forged, "not-a-jwt" })
        {
            using var response = await gateway.PostAsync("{ practitioners(first: 1) { nodes { fhirId } } }", bearerToken: token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("UNAUTHENTICATED", body.At("errors.0.extensions.code")?.GetValue<string>());
            Assert.Null(body.At("data"));
        }
    }

    [Fact]
    public async Task A_patient_sees_their_own_appointments_and_free_availability_and_no_other_patient()
    {
        var gateway = await GatewayAsync();
        var practice = await PracticeAsync(gateway);
        var me = practice.A.Patient.Id!;
        var token = TestTokens.Patient(me);

        var mine = await gateway.QueryAsync("{ appointments(first: 100) { totalCount nodes { fhirId patient { fhirId } } } }", bearerToken: token);
        Assert.Null(mine["errors"]);
        Assert.Equal([practice.APatientAppointment], Ids(mine.At("data.appointments.nodes")));
        Assert.Equal(1, mine.At("data.appointments.totalCount")!.GetValue<int>());

        // Another patient's appointment and one that does not exist get the same answer: nothing tells them apart.
        var hidden = await gateway.QueryAsync("query($id: ID!) { appointment(id: $id) { fhirId description } }", new { id = practice.AOtherPatientAppointment }, token);
        var missing = await gateway.QueryAsync("query($id: ID!) { appointment(id: $id) { fhirId description } }", new { id = "no-such-appointment" }, token);
        AssertForbidden(hidden, "appointment");
        AssertForbidden(missing, "appointment");
        Assert.Equal(
            hidden.At("errors.0.message")!.GetValue<string>().Replace(practice.AOtherPatientAppointment, "ID", StringComparison.Ordinal),
            missing.At("errors.0.message")!.GetValue<string>().Replace("no-such-appointment", "ID", StringComparison.Ordinal));
        Assert.DoesNotContain(practice.A.OtherPatient.Name[0].Family!, hidden.ToJsonString(), StringComparison.Ordinal);

        AssertForbidden(await gateway.QueryAsync("query($id: ID!) { patient(id: $id) { fhirId name { family } } }", new { id = practice.A.OtherPatient.Id }, token), "patient");
        AssertForbidden(await gateway.QueryAsync("query($id: ID!) { patient(id: $id) { fhirId } }", new { id = "no-such-patient" }, token), "patient");
        var self = await gateway.QueryAsync("query($id: ID!) { patient(id: $id) { fhirId appointments { nodes { fhirId } } } }", new { id = me }, token);
        Assert.Equal([practice.APatientAppointment], Ids(self.At("data.patient.appointments.nodes")));
        var search = await gateway.QueryAsync("{ patients(name: \"Pat\", first: 100) { nodes { fhirId } } }", bearerToken: token);
        Assert.Equal([me], Ids(search.At("data.patients.nodes")));

        // Free availability and the practitioner are public; another patient's booking on a slot is not.
        var slot = await gateway.QueryAsync("""
            query($slot: ID!, $practitioner: ID!) {
              slot(id: $slot) { status appointments { totalCount nodes { fhirId } } }
              practitioner(id: $practitioner) { fhirId appointments { nodes { fhirId } } }
              availability(input: { practitionerIds: [$practitioner] }, first: 10) { nodes { slotIds } }
            }
            """, new { slot = practice.A.SlotId(1), practitioner = practice.A.Practitioner.Id }, token);
        Assert.Null(slot["errors"]);
        Assert.Equal("BUSY", slot.At("data.slot.status")!.GetValue<string>());
        Assert.Equal(0, slot.At("data.slot.appointments.totalCount")!.GetValue<int>());
        Assert.Empty(slot.At("data.slot.appointments.nodes")!.AsArray());
        Assert.Equal([practice.APatientAppointment], Ids(slot.At("data.practitioner.appointments.nodes")));
        Assert.Contains(GlobalId.Encode("Slot", practice.A.SlotId(2)), slot.At("data.availability.nodes")!.AsArray().SelectMany(n => n!["slotIds"]!.AsArray()).Select(s => s!.GetValue<string>()));
    }

    [Fact]
    public async Task A_patient_books_and_changes_only_their_own_and_a_refusal_writes_nothing()
    {
        var gateway = await GatewayAsync();
        var practice = await PracticeAsync(gateway);
        var me = practice.A.Patient.Id!;
        var token = TestTokens.Patient(me);

        var forOther = await gateway.QueryAsync(Book, new { slot = practice.A.SlotId(3), patient = practice.A.OtherPatient.Id }, token);
        AssertForbiddenPayload(forOther, "bookAppointment");
        var cancelOther = await gateway.QueryAsync("mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"x\" }) { appointment { fhirId } errors { __typename } } }",
            new { id = practice.AOtherPatientAppointment }, token);
        AssertForbiddenPayload(cancelOther, "cancelAppointment");
        var answerForDoctor = await gateway.QueryAsync("""
            mutation($id: ID!, $actor: ID!) { respondToAppointment(input: { appointmentId: $id, actorId: $actor, participantStatus: DECLINED }) { appointment { fhirId } errors { __typename } } }
            """, new { id = practice.APatientAppointment, actor = "Practitioner/" + practice.A.Practitioner.Id }, token);
        AssertForbiddenPayload(answerForDoctor, "respondToAppointment");
        AssertForbiddenPayload(await gateway.QueryAsync("mutation($id: ID!) { changeAppointmentStatus(input: { appointmentId: $id, status: CHECKED_IN }) { appointment { fhirId } errors { __typename } } }",
            new { id = practice.APatientAppointment }, token), "changeAppointmentStatus");
        AssertForbiddenPayload(await gateway.QueryAsync("mutation($s: ID!) { createSlots(input: { scheduleId: $s, from: \"2030-01-07\", to: \"2030-01-07\", daysOfWeek: [MONDAY], startTime: \"09:00\", endTime: \"10:00\", slotMinutes: 30 }) { errors { __typename } } }",
            new { s = practice.A.Schedule.Id }, token), "createSlots");

        // Nothing of the refused changes reached FHIR.
        var state = await gateway.QueryAsync("query($a: ID!, $s: ID!) { appointment(id: $a) { status } slot(id: $s) { status } }",
            new { a = practice.AOtherPatientAppointment, s = practice.A.SlotId(3) }, TestTokens.Scheduler());
        Assert.Equal("BOOKED", state.At("data.appointment.status")!.GetValue<string>());
        Assert.Equal("FREE", state.At("data.slot.status")!.GetValue<string>());

        var own = await gateway.QueryAsync(Book, new { slot = practice.A.SlotId(3), patient = me }, token);
        var id = own.At("data.bookAppointment.appointment.fhirId")!.GetValue<string>();
        var cancelled = await gateway.QueryAsync("mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"Changed plans\" }) { appointment { status } errors { __typename } } }",
            new { id }, token);
        Assert.Equal("CANCELLED", cancelled.At("data.cancelAppointment.appointment.status")!.GetValue<string>());
    }

    [Fact]
    public async Task A_practitioner_sees_their_own_schedule_appointments_and_those_patients_only()
    {
        var gateway = await GatewayAsync();
        var practice = await PracticeAsync(gateway);
        var token = TestTokens.Practitioner(practice.A.Practitioner.Id!);

        var mine = await gateway.QueryAsync("{ appointments(first: 100) { nodes { fhirId patient { fhirId } participants { actor { __typename ... on Patient { fhirId } } } } } }", bearerToken: token);
        Assert.Null(mine["errors"]);
        Assert.Equal(new[] { practice.AOtherPatientAppointment, practice.APatientAppointment }.Order(), Ids(mine.At("data.appointments.nodes")).Order());
        Assert.Contains(practice.A.OtherPatient.Id, mine.At("data.appointments.nodes")!.AsArray().Select(n => n.At("patient.fhirId")?.GetValue<string>()));

        var ownPatient = await gateway.QueryAsync("query($id: ID!) { patient(id: $id) { fhirId appointments { nodes { fhirId } } } }", new { id = practice.A.Patient.Id }, token);
        Assert.Null(ownPatient["errors"]);
        Assert.Equal([practice.APatientAppointment], Ids(ownPatient.At("data.patient.appointments.nodes")));
        AssertForbidden(await gateway.QueryAsync("query($id: ID!) { patient(id: $id) { fhirId } }", new { id = practice.B.Patient.Id }, token), "patient");
        AssertForbidden(await gateway.QueryAsync("query($id: ID!) { appointment(id: $id) { fhirId } }", new { id = practice.BPatientAppointment }, token), "appointment");
        var search = await gateway.QueryAsync("{ patients(name: \"Pat\", first: 1000) { nodes { fhirId } } }", bearerToken: token);
        var found = Ids(search.At("data.patients.nodes"));
        Assert.Contains(practice.A.Patient.Id, found);
        Assert.DoesNotContain(practice.B.Patient.Id, found);

        // Their own schedule they manage; another's they do not.
        var block = "mutation($s: ID!) { blockTime(input: { scheduleId: $s, start: \"2030-01-07T09:00:00Z\", end: \"2030-01-07T10:00:00Z\", comment: \"Training\" }) { slot { fhirId } errors { __typename } } }";
        Assert.NotNull((await gateway.QueryAsync(block, new { s = practice.A.Schedule.Id }, token)).At("data.blockTime.slot.fhirId"));
        AssertForbiddenPayload(await gateway.QueryAsync(block, new { s = practice.B.Schedule.Id }, token), "blockTime");
        AssertForbiddenPayload(await gateway.QueryAsync(Book, new { slot = practice.B.SlotId(3), patient = practice.A.Patient.Id }, token), "bookAppointment");
        // Check-in opens an hour before the start (statuses follow the clock): bring the appointment's day.
        await medplum.Store.MoveAppointmentAsync(practice.APatientAppointment, DateTimeOffset.UtcNow.AddMinutes(30));
        var checkedIn = await gateway.QueryAsync("mutation($id: ID!) { changeAppointmentStatus(input: { appointmentId: $id, status: CHECKED_IN }) { appointment { status } } }",
            new { id = practice.APatientAppointment }, token);
        Assert.Equal("CHECKED_IN", checkedIn.At("data.changeAppointmentStatus.appointment.status")!.GetValue<string>());
    }

    [Fact]
    public async Task A_practitioners_patient_search_is_checked_with_one_Appointment_search_for_the_whole_page()
    {
        var gateway = await GatewayAsync();
        var world = await BookingWorld.CreateAsync(medplum.Store);
        var family = "Crowd" + Guid.NewGuid().ToString("N")[..6];
        var crowd = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            crowd.Add((await medplum.Store.CreateAsync(new Hl7.Fhir.Model.Patient { Name = [new() { Family = family, Given = ["P" + i] }] }, CancellationToken.None)).Id!);
        }

        // Two of the ten have an appointment with this practitioner.
        foreach (var (slot, patient) in new[] { (0, crowd[3]), (1, crowd[7]) })
        {
            Assert.NotNull((await gateway.QueryAsync(Book, new { slot = world.SlotId(slot), patient }, TestTokens.Scheduler())).At("data.bookAppointment.appointment.fhirId"));
        }

        await medplum.Server.ResetCountsAsync();
        var page = await gateway.QueryAsync("query($f: String) { patients(name: $f, first: 50) { nodes { fhirId } } }", new { f = family },
            TestTokens.Practitioner(world.Practitioner.Id!));

        Assert.Null(page["errors"]);
        Assert.Equal(new[] { crowd[3], crowd[7] }.Order(), Ids(page.At("data.patients.nodes")).Order());
        var requests = await medplum.Server.RequestsAsync();
        Assert.Equal(1, requests.Count(r => r.StartsWith("GET Patient?", StringComparison.Ordinal)));
        Assert.Equal(1, requests.Count(r => r.StartsWith("GET Appointment?", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Schedulers_and_admins_see_and_change_everything()
    {
        var gateway = await GatewayAsync();
        var practice = await PracticeAsync(gateway);
        foreach (var token in new[] { TestTokens.Scheduler(), TestTokens.Admin() })
        {
            var all = await gateway.QueryAsync("""
                query($a: ID!, $b: ID!, $p: ID!) { a: appointment(id: $a) { fhirId patient { fhirId } } b: appointment(id: $b) { fhirId patient { fhirId } } patient(id: $p) { fhirId } }
                """, new { a = practice.AOtherPatientAppointment, b = practice.BPatientAppointment, p = practice.B.Patient.Id }, token);
            Assert.Null(all["errors"]);
            Assert.Equal(practice.B.Patient.Id, all.At("data.b.patient.fhirId")!.GetValue<string>());
            Assert.Equal(practice.B.Patient.Id, all.At("data.patient.fhirId")!.GetValue<string>());
        }

        // The same question from practitioner A, whose practice B is not: refused, so the answers above are the role's doing.
        AssertForbidden(await gateway.QueryAsync("query($b: ID!) { b: appointment(id: $b) { fhirId } }", new { b = practice.BPatientAppointment },
            TestTokens.Practitioner(practice.A.Practitioner.Id!)), "b");

        var cancelled = await gateway.QueryAsync("mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"Clinic closed\" }) { appointment { status } } }",
            new { id = practice.BPatientAppointment }, TestTokens.Admin());
        Assert.Equal("CANCELLED", cancelled.At("data.cancelAppointment.appointment.status")!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_without_a_role_sees_public_data_only()
    {
        var gateway = await GatewayAsync();
        var practice = await PracticeAsync(gateway);
        var token = TestTokens.Issue(("scope", "openid"));
        var answer = await gateway.QueryAsync("query($id: ID!) { practitioner(id: $id) { fhirId } appointment(id: \"x\") { fhirId } }", new { id = practice.A.Practitioner.Id }, token);
        Assert.Equal(practice.A.Practitioner.Id, answer.At("data.practitioner.fhirId")!.GetValue<string>());
        AssertForbidden(answer, "appointment");
        AssertForbidden(await gateway.QueryAsync("{ appointments { nodes { fhirId } } }", bearerToken: token), "appointments");
    }

    /// <summary>A mutation's denial: a ForbiddenError in its payload, its result fields null, no top-level error.</summary>
    internal static void AssertForbiddenPayload(JsonObject answer, string mutation)
    {
        Assert.True(answer["errors"] is null, answer.ToJsonString());
        var payload = answer.At("data." + mutation)?.AsObject() ?? throw new Xunit.Sdk.XunitException("no payload: " + answer.ToJsonString());
        var error = Assert.Single(payload["errors"]!.AsArray())!;
        Assert.Equal("ForbiddenError", error["__typename"]!.GetValue<string>());
        Assert.All(payload.Where(p => p.Key is not ("errors" or "clientMutationId")), p => Assert.Null(p.Value));
    }

    internal static void AssertForbidden(JsonObject answer, string field)
    {
        var errors = answer["errors"]?.AsArray() ?? throw new Xunit.Sdk.XunitException("no errors: " + answer.ToJsonString());
        Assert.Contains(errors, e => e.At("extensions.code")?.GetValue<string>() == "FORBIDDEN" && e.At("path.0")?.GetValue<string>() == field);
        Assert.Null(answer.At("data." + field));
    }

    private static List<string> Ids(JsonNode? nodes) => [.. nodes!.AsArray().Select(n => n!["fhirId"]!.GetValue<string>())];

    private sealed record Practice(BookingWorld A, BookingWorld B, string APatientAppointment, string AOtherPatientAppointment, string BPatientAppointment);
}
