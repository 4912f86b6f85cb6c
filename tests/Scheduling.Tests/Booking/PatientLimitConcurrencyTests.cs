using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Xunit.Abstractions;

namespace Scheduling.Tests.Booking;

/// <summary>
/// MaxOpenBookingsPerPatient under concurrency: one patient books 40 different slots at the same moment through two
/// gateways; at most the limit may be open afterwards, each success told is one of them, and every refusal is typed.
/// </summary>
public static class PatientLimitRace
{
    public const int Limit = 5;

    public const int Attempts = 40;

    /// <summary>Answers that claim nothing about the booking: an upstream or a deadline that did not answer.</summary>
    private static readonly string[] UncertainCodes = ["SERVICE_UNAVAILABLE", "OPERATION_TIMEOUT"];

    private const string Book = """
        mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { ... on Error { code } } } }
        """;

    public static async Task<string> RunAsync(IFhirStore store, IReadOnlyList<GatewayServer> gateways)
    {
        var world = await BookingWorld.CreateAsync(store, slots: Attempts);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, Attempts).Select(async i =>
        {
            await start.Task;
            var response = await gateways[i % gateways.Count].QueryAsync(Book, new { input = new { slotIds = new[] { world.SlotId(i) }, patientId = world.Patient.Id } });
            return (Id: response.At("data.bookAppointment.appointment.fhirId")?.GetValue<string>(),
                Code: response.At("data.bookAppointment.errors.0.code")?.GetValue<string>() ?? response.ToJsonString());
        }).ToList();
        start.SetResult();
        var outcomes = await Task.WhenAll(attempts);

        // An upstream or a deadline that did not answer claims nothing: the change behind it may still be writing or
        // undoing (Changes:WriteSeconds), so with such answers the store must settle; the limit holds at every look.
        var uncertain = outcomes.Count(o => o.Id is null && UncertainCodes.Contains(o.Code));
        var won = outcomes.Where(o => o.Id is not null).Select(o => o.Id!).Order().ToList();
        Assert.All(outcomes.Where(o => o.Id is null), o => Assert.Contains(o.Code, new[] { "BOOKING_RULE", "SLOT_UNAVAILABLE" }.Concat(UncertainCodes)));
        Assert.NotEmpty(won);
        var deadline = DateTimeOffset.UtcNow + (uncertain > 0 ? TimeSpan.FromSeconds(30) : TimeSpan.Zero);
        while (true)
        {
            var open = (await store.SearchAllAsync<Appointment>(FhirQuery.For<Appointment>().Where("patient", "Patient/" + world.Patient.Id), CancellationToken.None))
                .Where(AppointmentSearches.IsActive).Select(a => a.Id!).Order().ToList();
            Assert.True(open.Count <= Limit, $"{open.Count} open appointments against a limit of {Limit}");
            Assert.Empty(won.Except(open));
            var unexplained = open.Count - won.Count;
            if (unexplained == 0 || (unexplained <= uncertain && DateTimeOffset.UtcNow >= deadline))
            {
                break;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"{unexplained} open appointment(s) nobody was told of, with {uncertain} uncertain answer(s)");
            await Task.Delay(500);
        }

        return $"{won.Count} booked, refused: {string.Join(", ", outcomes.Where(o => o.Id is null).GroupBy(o => o.Code).Select(g => $"{g.Count()} {g.Key}"))}";
    }

    public static Dictionary<string, string?> Settings(Dictionary<string, string?> settings)
    {
        settings["Booking:MaxOpenBookingsPerPatient"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }
}

public sealed class EmbeddedPatientLimitConcurrencyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Forty_concurrent_bookings_by_one_patient_leave_at_most_the_limit_open_on_the_embedded_store()
    {
        await using var first = await GatewayServer.StartAsync(PatientLimitRace.Settings([]));
        var store = first.Services.GetRequiredService<InMemoryFhirStore>();
        await using var second = await GatewayServer.StartAsync(PatientLimitRace.Settings([]), s => s.AddSingleton(store));

        output.WriteLine(await PatientLimitRace.RunAsync(store, [first, second]));
    }
}

[Collection(MedplumCollection.Name)]
public sealed class MedplumPatientLimitConcurrencyTests(MedplumFixture medplum, ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Forty_concurrent_bookings_by_one_patient_leave_at_most_the_limit_open_on_Medplum(bool transactions)
    {
        var settings = PatientLimitRace.Settings(medplum.Settings(("Fhir:UseTransactions", transactions ? "true" : "false")));
        await using var first = await GatewayServer.StartAsync(settings);
        await using var second = await GatewayServer.StartAsync(settings);

        output.WriteLine(await PatientLimitRace.RunAsync(medplum.Store, [first, second]));
    }
}
