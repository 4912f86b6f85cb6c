using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Tests.Fhir;
using Scheduling.Testing;

namespace Scheduling.Tests.Schema;

/// <summary>
/// Medplum (its FHIR engine as tests/peers runs it) accepts a Slot without its required start: its write validation
/// does not hold FHIR R4's cardinality here, so the gateway's own check is what keeps such a slot out of
/// <c>Schedule.slots</c> and <c>slots</c>. The slot is deleted afterwards: the Medplum server is shared by the collection.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumCardinalityTests(MedplumFixture medplum)
{
    [Fact]
    public async System.Threading.Tasks.Task A_slot_without_start_that_Medplum_accepted_leaves_the_schedules_slots_with_one_error()
    {
        var when = DateTimeOffset.UtcNow.AddDays(30);
        var schedule = await medplum.Store.CreateAsync(
            new Schedule { Actor = [new ResourceReference("Practitioner/cardinality-check")] }, CancellationToken.None);
        var good = await medplum.Store.CreateAsync(
            new Slot { Schedule = new ResourceReference("Schedule/" + schedule.Id), Status = Slot.SlotStatus.Free, Start = when, End = when.AddMinutes(30) },
            CancellationToken.None);
        var broken = await medplum.Store.CreateAsync(
            new Slot { Schedule = new ResourceReference("Schedule/" + schedule.Id), Status = Slot.SlotStatus.Free, End = when.AddHours(1) },
            CancellationToken.None);
        try
        {
            Assert.Null((await medplum.Store.ReadAsync<Slot>(broken.Id!, CancellationToken.None))!.Start);
            var gateway = await medplum.GatewayAsync();

            var response = await gateway.QueryAsync(
                "query($id: ID!) { schedule(id: $id) { fhirId slots { nodes { fhirId start } } } }", new { id = schedule.Id });

            Assert.Equal(schedule.Id, response.At("data.schedule.fhirId")?.GetValue<string>());
            var slots = response.At("data.schedule.slots.nodes")!.AsArray();
            Assert.Equal([good.Id], slots.Select(s => s!["fhirId"]!.GetValue<string>()));
            var error = Assert.Single(response["errors"]!.AsArray())!;
            Assert.Equal("INVALID_UPSTREAM_RESOURCE", error.At("extensions.code")?.GetValue<string>());
            Assert.Contains($"Slot/{broken.Id}", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(["schedule", "slots"], error["path"]!.AsArray().Select(p => p!.ToString()));
        }
        finally
        {
            await medplum.Store.DeleteAsync(broken, CancellationToken.None);
            await medplum.Store.DeleteAsync(good, CancellationToken.None);
            await medplum.Store.DeleteAsync(schedule, CancellationToken.None);
        }
    }
}
