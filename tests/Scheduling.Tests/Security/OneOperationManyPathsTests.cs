using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Testing;

namespace Scheduling.Tests.Security;

/// <summary>
/// Over HTTP on the in-memory store: one operation that reaches the other patient of
/// <see cref="ExposurePractice"/> by several paths at once (their group appointment's participants, patient and answers,
/// the schedule with them as an actor, nodes by id, the caller's own lists), each twice under aliases so the second
/// path meets what the operation already showed: nothing of the other patient comes back to a patient, a caller
/// without a role or an unrelated practitioner; the front desk does see them (the paths do reach them).
/// </summary>
public sealed class OneOperationManyPathsTests
{
    private const string Paths = """
        query($g: ID!, $ps: ID!, $ids: [ID!]!, $me: ID!) {
          a1: appointment(id: $g) { ...Appt }
          s1: schedule(id: $ps) { actors { ... on Patient { fhirId name { family } birthDate telecom { value } } } }
          n1: nodes(ids: $ids) { id ... on Patient { name { family } } ... on AppointmentResponse { comment } ... on Appointment { description } }
          l1: appointments(first: 50) { nodes { ...Appt } }
          m1: patient(id: $me) { appointments(first: 50) { nodes { ...Appt } } }
          a2: appointment(id: $g) { ...Appt }
          s2: schedule(id: $ps) { actors { ... on Patient { fhirId name { family } } } }
          n2: nodes(ids: $ids) { id ... on Patient { name { family } } ... on AppointmentResponse { comment } }
          l2: appointments(first: 50) { nodes { ...Appt } }
        }
        fragment Appt on Appointment {
          fhirId description
          participants { actor { __typename ... on Patient { fhirId name { family } birthDate telecom { value } } } }
          patient { fhirId name { family } }
          patients { fhirId name { family } birthDate }
          responses(first: 50) { nodes { fhirId comment actor { ... on Patient { fhirId name { family } } } appointment { fhirId participants { actor { ... on Patient { name { family } } } } } } }
          slots { schedule { actors { ... on Patient { fhirId name { family } } } } }
        }
        """;

    [Fact]
    public async Task No_path_of_one_operation_gives_the_other_patient_to_who_may_not_see_them()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>(TestTokens.GatewaySettings())
        {
            ["GraphQL:MaxComplexity"] = "1000000000",
            ["GraphQL:MaxFhirSearches"] = "10000",
            ["GraphQL:MaxDepth"] = "30",
        });
        IFhirStore store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var practice = await ExposurePractice.CreateAsync(store, gateway);
        var ids = new[] { GlobalId.Encode("Patient", practice.Other.Id!), GlobalId.Encode("AppointmentResponse", practice.OthersResponse), GlobalId.Encode("Appointment", practice.OthersAppointment) };

        var failures = new List<string>();
        foreach (var (name, token, me) in new[]
                 {
                     ("patient", TestTokens.Patient(practice.Me.Id!), practice.Me.Id!),
                     ("unrelated practitioner", TestTokens.Practitioner(practice.B.Practitioner.Id!), practice.Me.Id!),
                     ("role-less", TestTokens.Issue(("scope", "openid")), practice.Me.Id!),
                 })
        {
            var variables = new { g = practice.GroupAppointment, ps = practice.PatientSchedule.Id, ids, me };
            var sent = System.Text.Json.JsonSerializer.Serialize(variables);
            var answer = await gateway.QueryAsync(Paths, variables, token);
            if (practice.LeaksIn(answer, sent) is { Count: > 0 } leaks)
            {
                failures.Add($"{name}: {string.Join(", ", leaks)} in {answer.ToJsonString()[..Math.Min(2000, answer.ToJsonString().Length)]}");
            }
        }

        // The paths do reach the other patient: the front desk is shown them.
        var desk = await gateway.QueryAsync(Paths, new { g = practice.GroupAppointment, ps = practice.PatientSchedule.Id, ids, me = practice.Me.Id }, TestTokens.Scheduler());
        Assert.Contains(practice.Other.Name[0].Family!, desk.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(failures);
    }
}
