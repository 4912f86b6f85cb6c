using System.Text.Json.Nodes;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Security;

/// <summary>
/// Issue 10's authorization findings over HTTP on Medplum's FHIR engine, one test each: schedule actors (1),
/// createSchedule's actors (2), counts and cursors (7), denials naming what they hide (8), role names (9),
/// fhirUser hosts (13) and mutations that read before they authorize (10).
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class PatientExposureTests(MedplumFixture medplum)
{
    private static readonly string RoleLess = TestTokens.Issue(("scope", "openid"));

    private Task<GatewayServer> GatewayAsync() => medplum.GatewayAsync(TestTokens.Settings);

    private async Task<(GatewayServer Gateway, ExposurePractice Practice)> PracticeAsync()
    {
        var gateway = await GatewayAsync();
        return (gateway, await ExposurePractice.CreateAsync(medplum.Store, gateway));
    }

    [Fact]
    public async Task Patient_actors_of_schedules_and_availability_are_shown_only_to_who_may_see_that_patient()
    {
        var (gateway, practice) = await PracticeAsync();
        const string Query = """
            query($s: ID!, $a: ID!) {
              schedule(id: $s) { actors { __typename ... on Patient { fhirId name { family } birthDate telecom { value } } } }
              schedules(actor: $a, first: 100) { nodes { actors { ... on Patient { fhirId name { family } } } } }
              availability(input: { scheduleIds: [$s] }, first: 5) { nodes { actors { ... on Patient { fhirId name { family } } } schedule { actors { ... on Patient { name { family } } } } } }
            }
            """;
        var variables = new { s = practice.PatientSchedule.Id, a = "Practitioner/" + practice.A.Practitioner.Id };
        foreach (var token in new[] { TestTokens.Patient(practice.Me.Id!), RoleLess, TestTokens.Practitioner(practice.B.Practitioner.Id!) })
        {
            var answer = await gateway.QueryAsync(Query, variables, token);
            Assert.Null(answer["errors"]);
            Assert.Empty(practice.LeaksIn(answer, string.Empty));
            // The rest of the schedule is public: its practitioner, location and service stay.
            Assert.Equal(["Practitioner", "Location", "HealthcareService"], answer.At("data.schedule.actors")!.AsArray().Select(a => a!["__typename"]!.GetValue<string>()));
            Assert.NotEmpty(answer.At("data.availability.nodes")!.AsArray());
        }

        // Asking for a patient's schedules is refused unless the caller may see that patient, before the search runs.
        foreach (var token in new[] { TestTokens.Patient(practice.Me.Id!), RoleLess, TestTokens.Practitioner(practice.B.Practitioner.Id!) })
        {
            var byPatient = await gateway.QueryAsync("query($a: ID!) { schedules(actor: $a) { totalCount nodes { fhirId } } }", new { a = "Patient/" + practice.Other.Id }, token);
            var missing = await gateway.QueryAsync("query($a: ID!) { schedules(actor: $a) { totalCount nodes { fhirId } } }", new { a = "Patient/no-such-patient" }, token);
            AuthorizationTests.AssertForbidden(byPatient, "schedules");
            Assert.Equal(byPatient.ToJsonString().Replace(practice.Other.Id!, "ID", StringComparison.Ordinal), missing.ToJsonString().Replace("no-such-patient", "ID", StringComparison.Ordinal));
        }

        // Whoever may see the patient sees them on the schedule: the patient, their practitioner, the front desk.
        foreach (var token in new[] { TestTokens.Patient(practice.Other.Id!), TestTokens.Practitioner(practice.A.Practitioner.Id!), TestTokens.Scheduler() })
        {
            var answer = await gateway.QueryAsync(Query, variables, token);
            Assert.Null(answer["errors"]);
            Assert.Equal(practice.Other.Name[0].Family, answer.At("data.schedule.actors.0.name.0.family")?.GetValue<string>());
            Assert.Contains(practice.Other.Name[0].Family!, answer.At("data.availability")!.ToJsonString(), StringComparison.Ordinal);
            var mine = await gateway.QueryAsync("query($a: ID!) { schedules(actor: $a) { nodes { fhirId } } }", new { a = "Patient/" + practice.Other.Id }, token);
            Assert.Equal(practice.PatientSchedule.Id, mine.At("data.schedules.nodes.0.fhirId")?.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_practitioner_creates_schedules_only_for_themselves_with_places_and_services_and_the_refusal_reads_nothing()
    {
        var (gateway, practice) = await PracticeAsync();
        const string Create = "mutation($actors: [ID!]!) { createSchedule(input: { actorIds: $actors }) { schedule { fhirId actors { __typename } } errors { __typename ... on Error { message } } } }";
        var a = "Practitioner/" + practice.A.Practitioner.Id;
        var token = TestTokens.Practitioner(practice.A.Practitioner.Id!);

        // Another practitioner (listed first, so bookings would default to them) or any patient: refused.
        AuthorizationTests.AssertForbiddenPayload(await gateway.QueryAsync(Create, new { actors = new[] { "Practitioner/" + practice.B.Practitioner.Id, a } }, token), "createSchedule");
        var existing = await gateway.QueryAsync(Create, new { actors = new[] { a, "Patient/" + practice.Other.Id } }, token);
        var missing = await gateway.QueryAsync(Create, new { actors = new[] { a, "Patient/no-such-patient" } }, token);
        AuthorizationTests.AssertForbiddenPayload(existing, "createSchedule");
        Assert.Equal(existing.ToJsonString().Replace(practice.Other.Id!, "ID", StringComparison.Ordinal), missing.ToJsonString().Replace("no-such-patient", "ID", StringComparison.Ordinal));
        AuthorizationTests.AssertForbiddenPayload(await gateway.QueryAsync(Create, new { actors = new[] { "Location/" + practice.A.Location.Id } }, token), "createSchedule");

        // Themselves with their room and a service: created.
        var own = await gateway.QueryAsync(Create, new { actors = new[] { a, "Location/" + practice.A.Location.Id, "HealthcareService/" + practice.Service.Id } }, token);
        Assert.Null(own["errors"]);
        Assert.Equal(["Practitioner", "Location", "HealthcareService"], own.At("data.createSchedule.schedule.actors")!.AsArray().Select(n => n!["__typename"]!.GetValue<string>()));

        // The front desk names anyone, a patient included; a missing one is then simply not found.
        var desk = await gateway.QueryAsync(Create, new { actors = new[] { "Patient/" + practice.Other.Id, a } }, TestTokens.Scheduler());
        Assert.NotNull(desk.At("data.createSchedule.schedule.fhirId"));
        var deskMissing = await gateway.QueryAsync(Create, new { actors = new[] { "Patient/no-such-patient" } }, TestTokens.Scheduler());
        Assert.Equal("NotFoundError", deskMissing.At("data.createSchedule.errors.0.__typename")?.GetValue<string>());
    }

    [Fact]
    public async Task Counts_and_cursors_of_patient_searches_tell_nothing_of_patients_the_caller_may_not_see()
    {
        var (gateway, practice) = await PracticeAsync();
        const string Probe = "query($i: String, $n: String) { patients(identifier: $i, name: $n, first: 0) { totalCount pageInfo { hasNextPage endCursor } } page: patients(identifier: $i, name: $n, first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { fhirId } } }";
        var existing = new { i = ExposurePractice.MrnSystem + "|" + practice.OthersMrn, n = (string?)null };
        var missing = new { i = ExposurePractice.MrnSystem + "|MRN-NOBODY", n = (string?)null };
        var byName = new { i = (string?)null, n = practice.Other.Name[0].Family };
        var noName = new { i = (string?)null, n = "Nobody" + Guid.NewGuid().ToString("N")[..6] };

        // Without a role: refused before FHIR is asked, the same for both.
        var roleLess = await gateway.QueryAsync(Probe, existing, RoleLess);
        AuthorizationTests.AssertForbidden(roleLess, "patients");
        Assert.Equal(roleLess.ToJsonString(), (await gateway.QueryAsync(Probe, missing, RoleLess)).ToJsonString());

        // Practitioners unrelated to the patient (B has a patient of their own; C has none) and another patient:
        // the same page whether the patient exists or not.
        var c = await medplum.Store.CreateAsync(new Hl7.Fhir.Model.Practitioner { Name = [new() { Family = "Unrelated" }] }, CancellationToken.None);
        await gateway.QueryAsync("mutation($s: ID!, $p: ID!) { bookAppointment(input: { slotIds: [$s], patientId: $p }) { errors { ... on Error { message } } } }",
            new { s = practice.B.SlotId(0), p = practice.B.Patient.Id }, TestTokens.Scheduler());
        foreach (var token in new[] { TestTokens.Practitioner(practice.B.Practitioner.Id!), TestTokens.Practitioner(c.Id!), TestTokens.Patient(practice.Me.Id!) })
        {
            Assert.Equal((await gateway.QueryAsync(Probe, missing, token)).ToJsonString(), (await gateway.QueryAsync(Probe, existing, token)).ToJsonString());
            Assert.Equal((await gateway.QueryAsync(Probe, noName, token)).ToJsonString(), (await gateway.QueryAsync(Probe, byName, token)).ToJsonString());
        }

        // The practitioner who has the patient finds and counts them.
        var own = await gateway.QueryAsync(Probe, existing, TestTokens.Practitioner(practice.A.Practitioner.Id!));
        Assert.Equal(1, own.At("data.patients.totalCount")?.GetValue<int>());
        Assert.Equal(practice.Other.Id, own.At("data.page.nodes.0.fhirId")?.GetValue<string>());
    }

    [Fact]
    public async Task A_denial_inside_a_group_appointment_does_not_name_the_hidden_co_patient()
    {
        var (gateway, practice) = await PracticeAsync();
        var answer = await gateway.QueryAsync("""
            query($g: ID!) {
              appointment(id: $g) {
                fhirId description patient { fhirId }
                participants { actor { __typename ... on Patient { fhirId name { family } } } }
                responses { nodes { fhirId comment actor { ... on Patient { fhirId } } } }
              }
            }
            """, new { g = practice.GroupAppointment }, TestTokens.Patient(practice.Me.Id!));

        Assert.Equal("Group session", answer.At("data.appointment.description")?.GetValue<string>());
        Assert.Equal(practice.Me.Id, answer.At("data.appointment.patient.fhirId")?.GetValue<string>());
        var errors = answer["errors"]!.AsArray();
        Assert.Contains(errors, e => e.At("extensions.code")?.GetValue<string>() == "FORBIDDEN" && e.At("path.1")?.GetValue<string>() == "participants");
        Assert.Empty(practice.LeaksIn(answer, practice.GroupAppointment));
    }

    [Theory]
    [InlineData("patient,practitioner")]
    [InlineData("4")]
    [InlineData("Scheduler,")]
    [InlineData("adm")]
    [InlineData("\u017Fcheduler")]
    [InlineData("adm\u0131n")]
    public async Task Role_claims_count_only_as_whole_role_names(string role)
    {
        var (gateway, practice) = await PracticeAsync();
        const string Query = "query($p: ID!) { patient(id: $p) { fhirId name { family } } }";
        var forged = await gateway.QueryAsync(Query, new { p = practice.Other.Id }, TestTokens.Issue(("role", role), ("patient", practice.Me.Id!)));
        AuthorizationTests.AssertForbidden(forged, "patient");
        Assert.Empty(practice.LeaksIn(forged, practice.Other.Id!));

        // Whole names in any case, several separated by spaces: the strongest counts.
        foreach (var good in new[] { "ADMIN", "patient scheduler" })
        {
            Assert.Equal(practice.Other.Id, (await gateway.QueryAsync(Query, new { p = practice.Other.Id }, TestTokens.Issue(("role", good), ("patient", practice.Me.Id!)))).At("data.patient.fhirId")?.GetValue<string>());
        }
    }

    [Fact]
    public async Task An_absolute_fhirUser_counts_only_on_the_gateways_FHIR_base()
    {
        var (gateway, practice) = await PracticeAsync();
        const string Query = "query($p: ID!) { patient(id: $p) { fhirId } }";
        var a = "Practitioner/" + practice.A.Practitioner.Id;
        foreach (var elsewhere in new[] { "https://evil.example/fhir/" + a, medplum.Server.FhirBaseUrl.TrimEnd('/') + "-elsewhere/" + a })
        {
            AuthorizationTests.AssertForbidden(await gateway.QueryAsync(Query, new { p = practice.Other.Id }, TestTokens.Issue(("fhirUser", elsewhere))), "patient");
        }

        foreach (var trusted in new[] { a, medplum.Server.FhirBaseUrl.TrimEnd('/') + "/" + a })
        {
            var answer = await gateway.QueryAsync(Query, new { p = practice.Other.Id }, TestTokens.Issue(("fhirUser", trusted)));
            Assert.Equal(practice.Other.Id, answer.At("data.patient.fhirId")?.GetValue<string>());
        }
    }

    [Fact]
    public async Task Booking_authorizes_before_the_idempotency_lookup_and_before_reading_the_patient()
    {
        var (gateway, practice) = await PracticeAsync();
        const string Book = """
            mutation($slot: ID!, $patient: ID!, $key: String) {
              bookAppointment(input: { slotIds: [$slot], patientId: $patient, clientMutationId: $key }) { appointment { fhirId } errors { __typename ... on Error { message } } }
            }
            """;
        var slot = practice.PatientScheduleSlots[1].Id!;

        // Without a role: the other patient's key, a fresh key, a missing patient: one and the same refusal.
        var withKey = await gateway.QueryAsync(Book, new { slot, patient = practice.Other.Id, key = practice.OthersKey }, RoleLess);
        var freshKey = await gateway.QueryAsync(Book, new { slot, patient = practice.Other.Id, key = "key-fresh" }, RoleLess);
        var nobody = await gateway.QueryAsync(Book, new { slot, patient = "no-such-patient", key = "key-fresh" }, RoleLess);
        AuthorizationTests.AssertForbiddenPayload(withKey, "bookAppointment");
        Assert.Empty(practice.LeaksIn(withKey, practice.Other.Id!));
        Assert.Equal(withKey.ToJsonString(), freshKey.ToJsonString());
        Assert.Equal(freshKey.ToJsonString(), nobody.ToJsonString());

        // Another patient replaying it is refused before the lookup; an unrelated practitioner's lookup sees only their own.
        AuthorizationTests.AssertForbiddenPayload(await gateway.QueryAsync(Book, new { slot, patient = practice.Other.Id, key = practice.OthersKey }, TestTokens.Patient(practice.Me.Id!)), "bookAppointment");
        var b = await gateway.QueryAsync(Book, new { slot = practice.B.SlotId(1), patient = practice.Other.Id, key = practice.OthersKey }, TestTokens.Practitioner(practice.B.Practitioner.Id!));
        Assert.Null(b["errors"]);
        Assert.NotEqual(practice.OthersAppointment, b.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>());
        Assert.DoesNotContain(practice.OthersAppointment, b.ToJsonString(), StringComparison.Ordinal);

        // The key's owner side still gets its retry answered with the same appointment.
        var retry = await gateway.QueryAsync(Book, new { slot = practice.PatientScheduleSlots[0].Id, patient = practice.Other.Id, key = practice.OthersKey }, TestTokens.Patient(practice.Other.Id!));
        Assert.Equal(practice.OthersAppointment, retry.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>());

        // Changing an appointment without a role: refused alike for an existing and a missing id.
        const string Cancel = "mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"x\" }) { appointment { fhirId } errors { __typename } } }";
        var cancelOthers = await gateway.QueryAsync(Cancel, new { id = practice.OthersAppointment }, RoleLess);
        AuthorizationTests.AssertForbiddenPayload(cancelOthers, "cancelAppointment");
        Assert.Equal(cancelOthers.ToJsonString().Replace(practice.OthersAppointment, "ID", StringComparison.Ordinal),
            (await gateway.QueryAsync(Cancel, new { id = "no-such-appointment" }, RoleLess)).ToJsonString().Replace("no-such-appointment", "ID", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Booking_on_a_schedule_not_the_callers_answers_alike_for_existing_and_missing_patients()
    {
        var (gateway, practice) = await PracticeAsync();
        string[] mutations =
        [
            "mutation($slot: ID!, $patient: ID!) { holdSlots(input: { slotIds: [$slot], patientId: $patient }) { appointment { fhirId } errors { __typename ... on Error { message } } } }",
            "mutation($slot: ID!, $patient: ID!) { bookAppointment(input: { slotIds: [$slot], patientId: $patient }) { appointment { fhirId } errors { __typename ... on Error { message } } } }",
        ];
        // Practitioner B, who has no patients: on A's schedule (FORBIDDEN) and with a missing slot (NotFound), an
        // existing patient and a missing one get one and the same answer; the patient is read only where B may book.
        var b = TestTokens.Practitioner(practice.B.Practitioner.Id!);
        foreach (var mutation in mutations)
        {
            foreach (var slot in new[] { practice.A.SlotId(3), "no-such-slot" })
            {
                var existing = await gateway.QueryAsync(mutation, new { slot, patient = practice.Other.Id }, b);
                var missing = await gateway.QueryAsync(mutation, new { slot, patient = "no-such-patient" }, b);
                Assert.Null(existing.At("data.holdSlots.appointment") ?? existing.At("data.bookAppointment.appointment"));
                Assert.Empty(practice.LeaksIn(existing, practice.Other.Id!));
                Assert.Equal(existing.ToJsonString().Replace(practice.Other.Id!, "ID", StringComparison.Ordinal),
                    missing.ToJsonString().Replace("no-such-patient", "ID", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task Deleting_slots_of_a_schedule_not_the_callers_is_refused_before_their_status_is_told()
    {
        var (gateway, practice) = await PracticeAsync();
        const string Delete = "mutation($slot: ID!) { deleteSlots(input: { slotIds: [$slot] }) { deletedSlotIds errors { __typename ... on Error { message } } } }";
        var b = TestTokens.Practitioner(practice.B.Practitioner.Id!);
        // A's slots, one booked (by the other patient) and one free: to B, the same refusal, not "only free slots".
        var booked = await gateway.QueryAsync(Delete, new { slot = practice.PatientScheduleSlots[0].Id }, b);
        var free = await gateway.QueryAsync(Delete, new { slot = practice.PatientScheduleSlots[3].Id }, b);
        AuthorizationTests.AssertForbiddenPayload(booked, "deleteSlots");
        Assert.Equal(booked.ToJsonString().Replace(practice.PatientScheduleSlots[0].Id!, "ID", StringComparison.Ordinal),
            free.ToJsonString().Replace(practice.PatientScheduleSlots[3].Id!, "ID", StringComparison.Ordinal));
        Assert.NotNull(await medplum.Store.ReadAsync<Hl7.Fhir.Model.Slot>(practice.PatientScheduleSlots[3].Id!, CancellationToken.None));
    }
}
