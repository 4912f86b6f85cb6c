using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;

namespace Scheduling.Tests.Schema;

/// <summary>
/// A resource the FHIR server holds that breaks FHIR R4's own cardinality (written straight to the store, past the
/// gateway) is left out of every list and connection with one error naming it, and is null with that error where it is
/// asked for alone; its parent and the rest of the list stay. Its own gateway: the broken slot must not leak into other
/// tests.
/// </summary>
public sealed class UpstreamCardinalityTests : IAsyncLifetime
{
    private const string Schedule = "alice-smith-schedule";
    private GatewayServer _gateway = null!;
    private string _broken = null!;

    public async System.Threading.Tasks.Task InitializeAsync()
    {
        _gateway = await GatewayServer.StartAsync();
        using var scope = _gateway.Services.CreateScope();
        var store = scope.ServiceProvider.GetRequiredService<IFhirStore>();

        // A FREE slot on Dr. Smith's schedule without its required start (Slot.start is 1..1).
        var slot = await store.CreateAsync(
            new Slot
            {
                Schedule = new ResourceReference("Schedule/" + Schedule),
                Status = Slot.SlotStatus.Free,
                End = DateTimeOffset.Parse("2024-06-03T16:00:00-04:00", System.Globalization.CultureInfo.InvariantCulture),
            },
            CancellationToken.None);
        _broken = slot.Id!;
    }

    public async System.Threading.Tasks.Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async System.Threading.Tasks.Task A_slot_without_start_leaves_the_schedules_connection_with_one_error_and_the_schedule_stays()
    {
        var response = await _gateway.QueryAsync($$"""
            { schedule(id: "{{Schedule}}") { fhirId slots(first: 1000) { nodes { fhirId start } edges { node { fhirId } } } } }
            """);

        Assert.Equal(Schedule, response.At("data.schedule.fhirId")?.GetValue<string>());
        var slots = response.At("data.schedule.slots.nodes")!.AsArray();
        Assert.NotEmpty(slots);
        Assert.DoesNotContain(slots, s => s!["fhirId"]!.GetValue<string>() == _broken);
        Assert.All(slots, s => Assert.NotNull(s!["start"]));
        Assert.Equal(slots.Count, response.At("data.schedule.slots.edges")!.AsArray().Count);
        var error = Assert.Single(response["errors"]!.AsArray())!;
        AssertNames(error, ["schedule", "slots"]);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_slot_without_start_leaves_a_root_list_and_the_rest_of_it_stays()
    {
        var response = await _gateway.QueryAsync($$"""
            { slots(where: { scheduleIds: ["{{Schedule}}"] }, first: 1000) { nodes { fhirId start } } }
            """);

        var slots = response.At("data.slots.nodes")!.AsArray();
        Assert.NotEmpty(slots);
        Assert.DoesNotContain(slots, s => s!["fhirId"]!.GetValue<string>() == _broken);
        AssertNames(Assert.Single(response["errors"]!.AsArray())!, ["slots"]);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_slot_without_start_asked_alone_is_null_with_the_error_and_its_siblings_stay()
    {
        var response = await _gateway.QueryAsync(
            "query($id: ID!, $node: ID!) { slot(id: $id) { start } node(id: $node) { id } schedule(id: \"" + Schedule + "\") { fhirId } }",
            new { id = _broken, node = GlobalId.Encode("Slot", _broken) });

        Assert.Null(response.At("data.slot"));
        Assert.Null(response.At("data.node"));
        Assert.Equal(Schedule, response.At("data.schedule.fhirId")?.GetValue<string>());
        var errors = response["errors"]!.AsArray();
        Assert.Equal(2, errors.Count);
        AssertNames(errors.Single(e => e!.At("path.0")!.GetValue<string>() == "slot")!, ["slot"]);
        AssertNames(errors.Single(e => e!.At("path.0")!.GetValue<string>() == "node")!, ["node"]);
    }

    [Fact]
    public async System.Threading.Tasks.Task Paging_past_a_left_out_slot_neither_stops_nor_skips()
    {
        // One more broken slot, this one sorted among the others (it has a start, but no end): mid-list, not last.
        using (var scope = _gateway.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<IFhirStore>().CreateAsync(
                new Slot
                {
                    Schedule = new ResourceReference("Schedule/" + Schedule),
                    Status = Slot.SlotStatus.Free,
                    Start = DateTimeOffset.Parse("2024-06-03T11:15:00-04:00", System.Globalization.CultureInfo.InvariantCulture),
                },
                CancellationToken.None);
        }

        const string Page = "query($after: String) { slots(where: { scheduleIds: [\"" + Schedule + "\"] }, first: 2, after: $after) { nodes { fhirId } pageInfo { hasNextPage endCursor } } }";
        var all = (await _gateway.QueryAsync($$"""{ slots(where: { scheduleIds: ["{{Schedule}}"] }, first: 1000) { nodes { fhirId } } }"""))
            .At("data.slots.nodes")!.AsArray().Select(n => n!["fhirId"]!.GetValue<string>()).ToList();
        Assert.True(all.Count > 4, $"only {all.Count} slots to page through");

        var paged = new List<string>();
        string? after = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = (await _gateway.QueryAsync(Page, new { after })).At("data.slots")!;
            paged.AddRange(page["nodes"]!.AsArray().Select(n => n!["fhirId"]!.GetValue<string>()));
            if (!page.At("pageInfo.hasNextPage")!.GetValue<bool>())
            {
                break;
            }

            after = page.At("pageInfo.endCursor")!.GetValue<string>();
        }

        Assert.Equal(all, paged);
    }

    [Fact]
    public async System.Threading.Tasks.Task An_actor_reference_that_names_no_resource_is_an_OtherActor_with_it_not_a_null_item()
    {
        Schedule schedule;
        using (var scope = _gateway.Services.CreateScope())
        {
            schedule = await scope.ServiceProvider.GetRequiredService<IFhirStore>().CreateAsync(
                new Schedule { Actor = [new ResourceReference("Practitioner/nobody-here"), new ResourceReference("Practitioner/alice-smith")] },
                CancellationToken.None);
        }

        var response = await _gateway.QueryAsync(
            "query($id: ID!) { schedule(id: $id) { actors { __typename ... on OtherActor { reference } ... on Practitioner { fhirId } } } }",
            new { id = schedule.Id });

        Assert.Null(response["errors"]);
        var actors = response.At("data.schedule.actors")!.AsArray();
        Assert.Equal(["OtherActor", "Practitioner"], actors.Select(a => a!["__typename"]!.GetValue<string>()));
        Assert.Equal("Practitioner/nobody-here", actors[0]!["reference"]!.GetValue<string>());
    }

    private void AssertNames(JsonNode error, string[] path)
    {
        Assert.Equal(path, error["path"]!.AsArray().Select(p => p!.ToString()));
        Assert.Equal("INVALID_UPSTREAM_RESOURCE", error.At("extensions.code")?.GetValue<string>());
        Assert.Contains("Slot/" + _broken, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Slot.start", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
