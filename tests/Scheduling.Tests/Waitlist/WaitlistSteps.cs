using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using static Scheduling.Testing.GraphQLMutations;

namespace Scheduling.Tests.Waitlist;

/// <summary>The steps the waitlist tests share: joining, booking, cancelling, and waiting for offers in FHIR.</summary>
internal static class WaitlistSteps
{
    public const string Join = "mutation($input: JoinWaitlistInput!) { joinWaitlist(input: $input) { entry { appointment { fhirId status } offer { fhirId } } " + Errors + " } }";
    public const string Leave = "mutation($id: ID!) { leaveWaitlist(input: { appointmentId: $id }) { appointment { fhirId status } " + Errors + " } }";
    public const string Book = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } " + Errors + " } }";
    public const string Cancel = "mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"cannot come\" }) { appointment { fhirId } " + Errors + " } }";
    public const string Confirm = "mutation($id: ID!) { confirmAppointment(input: { appointmentId: $id }) { appointment { fhirId status } " + Errors + " } }";
    /// <summary>The line, or one patient's or one practitioner's part of it (a shared FHIR server holds other tests' entries too).</summary>
    public const string Line = "query($patientId: ID, $practitionerId: ID) { waitlist(patientId: $patientId, practitionerId: $practitionerId) { appointment { fhirId } durationMinutes offer { fhirId } } }";

    public static async Task<Patient> PatientAsync(IFhirStore store, string name) =>
        await store.CreateAsync(new Patient { Name = [new HumanName { Given = ["Wait"], Family = name + Guid.NewGuid().ToString("N")[..6] }] }, CancellationToken.None);

    /// <summary>Joins for the world's practitioner over the world's whole day; returns the entry's id.</summary>
    public static async Task<string> JoinAsync(GatewayServer gateway, BookingWorld world, string patientId, string? token = null)
    {
        var answer = await gateway.QueryAsync(Join, new
        {
            input = new
            {
                patientId,
                practitionerId = world.Practitioner.Id,
                windows = new[] { new { start = Iso(world.Slots[0].Start!.Value.AddHours(-1)), end = Iso(world.Slots[^1].End!.Value.AddHours(1)) } },
                durationMinutes = 30,
            },
        }, token);
        return Str(answer, "data.joinWaitlist.entry.appointment.fhirId");
    }

    public static async Task<string> BookAsync(GatewayServer gateway, string slotId, string patientId) =>
        Str(await gateway.QueryAsync(Book, new { input = new { time = new { slotIds = new[] { slotId } }, patientId } }), "data.bookAppointment.appointment.fhirId");

    /// <summary>Every offer made to an entry, any status.</summary>
    public static Task<IReadOnlyList<Appointment>> OffersAsync(IFhirStore store, string entryId) =>
        store.SearchAllAsync<Appointment>(WaitlistSearches.OffersTo(entryId), CancellationToken.None);

    /// <summary>Polls (100 ms apart, up to <paramref name="seconds"/>) until the condition holds; true if it did.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, int seconds = 30)
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            if (await condition())
            {
                return true;
            }

            await System.Threading.Tasks.Task.Delay(100);
        }

        return false;
    }
}
