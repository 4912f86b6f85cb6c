using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using static Scheduling.Testing.GraphQLMutations;
using static Scheduling.Tests.Waitlist.WaitlistSteps;

namespace Scheduling.Tests.Waitlist;

/// <summary>
/// A patient never sees another patient's waitlist entry: not in the line (asked for all, or for the other by id),
/// not through node, and cannot join for them nor take them off; a scheduler sees the whole line in order.
/// </summary>
public sealed class WaitlistAccessTests
{
    [Fact]
    public async Task A_patient_sees_and_changes_only_their_own_entries_while_a_scheduler_sees_the_line()
    {
        await using var gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings());
        IFhirStore store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        var (mine, theirs) = (TestTokens.Patient(world.Patient.Id!), TestTokens.Patient(world.OtherPatient.Id!));
        var own = await JoinAsync(gateway, world, world.Patient.Id!, mine);
        await System.Threading.Tasks.Task.Delay(20);
        var other = await JoinAsync(gateway, world, world.OtherPatient.Id!, theirs);

        IEnumerable<string> Ids(System.Text.Json.Nodes.JsonObject answer) =>
            answer.At("data.waitlist")!.AsArray().Select(n => n!["appointment"]!["fhirId"]!.GetValue<string>());
        Assert.Equal([own], Ids(await gateway.QueryAsync(Line, new { patientId = (string?)null }, mine)));
        var askedForOther = await gateway.QueryAsync(Line, new { patientId = world.OtherPatient.Id }, mine);
        Assert.Empty(askedForOther.At("data.waitlist")?.AsArray() ?? []);
        var node = await gateway.QueryAsync("query($id: ID!) { node(id: $id) { id } }", new { id = GlobalId.Encode("Appointment", other) }, mine);
        Assert.Null(node.At("data.node"));
        Assert.Equal([own, other], Ids(await gateway.QueryAsync(Line, new { patientId = (string?)null }, TestTokens.Scheduler())));

        var joinForOther = await gateway.QueryAsync(Join, new
        {
            input = new { patientId = world.OtherPatient.Id, practitionerId = world.Practitioner.Id, windows = new[] { new { start = "2030-01-01T09:00:00Z", end = "2030-01-01T17:00:00Z" } }, durationMinutes = 30 },
        }, mine);
        Assert.Equal("ForbiddenError", joinForOther.At("data.joinWaitlist.errors.0.__typename")?.GetValue<string>());
        var leaveOther = await gateway.QueryAsync(Leave, new { id = other }, mine);
        Assert.Equal("ForbiddenError", leaveOther.At("data.leaveWaitlist.errors.0.__typename")?.GetValue<string>());
        Assert.Equal(Appointment.AppointmentStatus.Waitlist, (await store.ReadAsync<Appointment>(other, CancellationToken.None))!.Status);
    }

    /// <summary>
    /// Joining the waitlist for a practitioner is booking on their time later: a practitioner may book only on their
    /// own schedules, so they may put patients on the waitlist only for themselves (the matcher then held another
    /// practitioner's slot for them: found by review).
    /// </summary>
    [Fact]
    public async Task A_practitioner_puts_patients_on_the_waitlist_only_for_their_own_time()
    {
        var settings = TestTokens.GatewaySettings();
        settings["Waitlist:Enabled"] = "true";
        settings["Waitlist:SweepSeconds"] = "3600";
        await using var gateway = await GatewayServer.StartAsync(settings);
        IFhirStore store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var mine = await BookingWorld.CreateAsync(store, slots: 1);
        var theirs = await BookingWorld.CreateAsync(store, slots: 1);
        var doctor = TestTokens.Practitioner(mine.Practitioner.Id!);
        object Input(BookingWorld world) => new
        {
            patientId = theirs.Patient.Id,
            practitionerId = world.Practitioner.Id,
            windows = new[] { new { start = Iso(world.Slots[0].Start!.Value.AddHours(-1)), end = Iso(world.Slots[0].End!.Value.AddHours(1)) } },
            durationMinutes = 30,
        };

        var forColleague = await gateway.QueryAsync(Join, new { input = Input(theirs) }, doctor);
        Assert.Equal("ForbiddenError", forColleague.At("data.joinWaitlist.errors.0.__typename")?.GetValue<string>());
        Assert.Empty(await store.SearchAllAsync<Appointment>(Scheduling.Schema.Booking.WaitlistSearches.Waiting(), CancellationToken.None));
        Assert.Equal(Slot.SlotStatus.Free, (await store.ReadAsync<Slot>(theirs.SlotId(0), CancellationToken.None))!.Status);

        var forSelf = await gateway.QueryAsync(Join, new { input = Input(mine) }, doctor);
        Assert.Equal("WAITLIST", forSelf.At("data.joinWaitlist.entry.appointment.status")?.GetValue<string>());
    }

    [Fact]
    public async Task Joining_is_refused_with_typed_errors_naming_the_field()
    {
        await using var gateway = await GatewayServer.StartAsync();
        IFhirStore store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 1);
        var window = new { start = "2099-01-01T09:00:00Z", end = "2099-01-01T17:00:00Z" };
        var cases = new (object Input, string Field)[]
        {
            (new { patientId = world.Patient.Id, windows = new[] { window }, durationMinutes = 30 }, "practitionerIds"),
            (new { patientId = world.Patient.Id, practitionerId = world.Practitioner.Id, windows = Array.Empty<object>(), durationMinutes = 30 }, "windows"),
            (new { patientId = world.Patient.Id, practitionerId = world.Practitioner.Id, windows = new[] { new { start = "2099-01-01T09:00:00Z", end = "2099-01-01T09:10:00Z" } }, durationMinutes = 30 }, "windows"),
            (new { patientId = world.Patient.Id, practitionerId = world.Practitioner.Id, windows = new[] { window }, durationMinutes = 2 }, "durationMinutes"),
            (new { patientId = world.Patient.Id, practitionerIds = Enumerable.Range(0, 21).Select(i => "p" + i).ToArray(), windows = new[] { window }, durationMinutes = 30 }, "practitionerIds"),
        };
        foreach (var (input, field) in cases)
        {
            var answer = await gateway.QueryAsync(Join, new { input });
            Assert.True(answer.At("data.joinWaitlist.errors.0.field")?.GetValue<string>() == field, answer.ToJsonString());
        }

        var missing = await gateway.QueryAsync(Join, new { input = new { patientId = "no-such-patient", practitionerId = world.Practitioner.Id, windows = new[] { window }, durationMinutes = 30 } });
        Assert.Equal("NotFoundError", missing.At("data.joinWaitlist.errors.0.__typename")?.GetValue<string>());
        var notAnEntry = await gateway.QueryAsync(Leave, new { id = await BookAsync(gateway, world.SlotId(0), world.Patient.Id!) });
        Assert.Equal("InvalidTransitionError", notAnEntry.At("data.leaveWaitlist.errors.0.__typename")?.GetValue<string>());
    }
}
