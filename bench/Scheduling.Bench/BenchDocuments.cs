namespace Scheduling.Bench;

/// <summary>The GraphQL documents the subscriber benches share, so that their figures are about the same work.</summary>
internal static class BenchDocuments
{
    /// <summary>One practitioner's appointment changes with nested fields: the slots, every patient (a group class has several) and the practitioners.</summary>
    public const string WatchPractitioner = """
        subscription($practitioner: ID!) {
          appointmentChanged(practitionerId: $practitioner) {
            kind appointmentId
            appointment { slots { status } patients { displayName } practitioners { displayName } }
          }
        }
        """;

    /// <summary>One booking, answering only what a bench needs.</summary>
    public const string Book = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } errors { __typename } } }";
}
