using System.Diagnostics;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Testing;

/// <summary>Many clients booking at the same moment: the concurrency tests and the booking benchmark both use it.</summary>
public static class BookingRace
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { ... on Error { code } } } }
        """;

    public sealed record Outcome(int Slot, string? AppointmentId, string? ErrorCode, TimeSpan Elapsed);

    /// <summary>Client i books slot i % slots through gateway i % gateways; all are released at once.</summary>
    public static async Task<IReadOnlyList<Outcome>> RunAsync(IReadOnlyList<GatewayServer> gateways, BookingWorld world, IReadOnlyList<Patient> patients, int clients)
    {
        ArgumentNullException.ThrowIfNull(gateways);
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(patients);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, clients).Select(async i =>
        {
            var slot = i % world.Slots.Count;
            await start.Task;
            var clock = Stopwatch.StartNew();
            var response = await gateways[i % gateways.Count].QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(slot) }, patientId = patients[i % patients.Count].Id } });
            var payload = response.At("data.bookAppointment");
            return new Outcome(
                slot,
                payload.At("appointment.fhirId")?.GetValue<string>(),
                payload.At("errors.0.code")?.GetValue<string>() ?? response.At("errors.0.extensions.code")?.GetValue<string>() ?? response.At("errors.0.message")?.GetValue<string>(),
                clock.Elapsed);
        }).ToList();
        start.SetResult();
        return await Task.WhenAll(attempts);
    }

    public static async Task<IReadOnlyList<Patient>> PatientsAsync(IFhirStore store, int count)
    {
        ArgumentNullException.ThrowIfNull(store);
        var patients = new List<Patient>(count);
        foreach (var batch in Enumerable.Range(0, count).Chunk(25))
        {
            patients.AddRange(await Task.WhenAll(batch.Select(i =>
                store.CreateAsync(new Patient { Name = [new HumanName { Given = ["Racer" + i], Family = "Concurrency" }] }, CancellationToken.None))));
        }

        return patients;
    }
}
