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
              appointments(first: 5) { totalCount nodes { id patient { id name { family } } practitioners { id }
                participants { actor { __typename ... on Patient { fhirId name { family } } } } } }
              schedule { id }
            } }
          }
        }
        """;

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
