using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Security;

namespace Scheduling.Tests.Planning;

/// <summary>
/// An include never brings a caller what the narrowed search would not: over Medplum, with the planner on, a
/// patient's week view of the schedule that holds another patient's appointment leaks nothing of that patient,
/// answers as with the planner off, and no search the gateway sends reverse-includes appointments for that patient.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class PlannerAuthorizationTests(MedplumFixture medplum)
{
    private const string WeekView = """
        query($s: ID!) {
          schedule(id: $s) {
            slots(first: 50) { nodes { id status
              appointments(first: 5) { totalCount nodes { id patient { id name { family } } patients { id name { family } } practitioners { id }
                participants { actor { __typename ... on Patient { fhirId name { family } } } } } }
              schedule { id }
            } }
          }
        }
        """;

    private const string GroupClass = """
        query($g: ID!, $s: ID!) {
          appointment(id: $g) { fhirId patients { fhirId name { family } } patient { fhirId }
            participants { actor { __typename ... on Patient { fhirId name { family } } } } }
          schedule(id: $s) { slots(first: 50) { nodes { id appointments { nodes { fhirId patients { fhirId name { family } birthDate } } } } } }
        }
        """;

    /// <summary>
    /// <c>Appointment.patients</c> answers every patient of a group appointment, and the planner includes it
    /// (<c>_include=Appointment:patient</c> brings exactly those, the co-patient too). A patient in the group receives
    /// only themselves through it, planned or not: the access policy's decision for any patient that leaves a field
    /// (a patient sees no co-patient; in a list the hidden one leaves silently, as <c>participants</c>' actor is
    /// refused), whichever way the record came in.
    /// </summary>
    [Fact]
    public async Task A_patient_in_a_group_appointment_receives_only_themselves_through_patients_with_the_planner_on_and_off()
    {
        var on = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", "On"), ("Cache:Enabled", "false")]);
        var off = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", "Off"), ("Cache:Enabled", "false")]);
        var practice = await ExposurePractice.CreateAsync(medplum.Store, on);
        var variables = new { g = practice.GroupAppointment, s = practice.A.Schedule.Id };
        var token = TestTokens.Patient(practice.Me.Id!);

        var answers = new List<string>();
        foreach (var (gateway, planned) in new[] { (on, true), (off, false) })
        {
            await medplum.Server.ResetCountsAsync();
            var answer = await gateway.QueryAsync(GroupClass, variables, token);
            var requests = await medplum.Server.RequestsAsync();

            Assert.Empty(practice.LeaksIn(answer, practice.GroupAppointment));
            Assert.Equal([practice.Me.Id], answer.At("data.appointment.patients")!.AsArray().Select(p => p!["fhirId"]!.GetValue<string>()));
            var inWeek = answer.At("data.schedule.slots.nodes")!.AsArray().SelectMany(s => s!.At("appointments.nodes")!.AsArray())
                .Single(a => a!["fhirId"]!.GetValue<string>() == practice.GroupAppointment)!;
            Assert.Equal([practice.Me.Id], inWeek["patients"]!.AsArray().Select(p => p!["fhirId"]!.GetValue<string>()));
            // Planned, the includes did bring the co-patient into the gateway (both searches that match the group appointment).
            Assert.Equal(planned ? 2 : 0, requests.Count(r => r.Contains("=Appointment:patient", StringComparison.Ordinal)));
            answers.Add(answer.ToJsonString());
        }

        Assert.Equal(answers[1], answers[0]);

        // The paths do reach the co-patient: the front desk is given both patients, in participant order.
        var desk = await on.QueryAsync(GroupClass, variables, TestTokens.Scheduler());
        Assert.Null(desk["errors"]);
        Assert.Equal([practice.Me.Id, practice.Other.Id], desk.At("data.appointment.patients")!.AsArray().Select(p => p!["fhirId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_patient_receives_no_other_patients_data_through_an_include()
    {
        var on = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", "On"), ("Cache:Enabled", "false")]);
        var off = await medplum.GatewayAsync([.. TestTokens.Settings, ("Fhir:Includes", "Off"), ("Cache:Enabled", "false")]);
        var practice = await ExposurePractice.CreateAsync(medplum.Store, on);
        var token = TestTokens.Patient(practice.Me.Id!);

        foreach (var schedule in new[] { practice.PatientSchedule.Id!, practice.A.Schedule.Id! })
        {
            await medplum.Server.ResetCountsAsync();
            var planned = await on.QueryAsync(WeekView, new { s = schedule }, token);
            var requests = await medplum.Server.RequestsAsync();
            var unplanned = await off.QueryAsync(WeekView, new { s = schedule }, token);

            Assert.NotEmpty(requests);
            Assert.Empty(practice.LeaksIn(planned, string.Empty));
            Assert.Equal(unplanned.ToJsonString(), planned.ToJsonString());
            Assert.Contains(requests, r => r.Contains("_revinclude=Slot:schedule", StringComparison.Ordinal));
            Assert.DoesNotContain(requests, r => r.Contains("Appointment:slot", StringComparison.Ordinal) && r.Contains("_revinclude", StringComparison.Ordinal));
        }

        // The staff's view of the same schedule is planned through the appointments (the rule above is the caller's narrowing, not the field).
        await medplum.Server.ResetCountsAsync();
        var staff = await on.QueryAsync(WeekView, new { s = practice.PatientSchedule.Id }, TestTokens.Scheduler());
        Assert.Null(staff["errors"]);
        Assert.Contains(await medplum.Server.RequestsAsync(), r => r.Contains("_revinclude:iterate=Appointment:slot", StringComparison.Ordinal));
    }
}
