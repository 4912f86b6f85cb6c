using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Planning;

/// <summary>
/// The query planner changes how many FHIR requests an answer costs, never the answer: realistic operations
/// (aliases, named and inline fragments, @skip/@include, paged and filtered nested lists where the planner must
/// step back, by-id roots whose filtered lists are prefetched with the root's read) answer byte for byte the same
/// with <c>Fhir:Includes=On</c> and <c>Off</c>, over one embedded store.
/// </summary>
public sealed class PlannerDifferentialTests
{
    private static readonly string[] Operations =
    [
        """
        query($id: ID!, $skip: Boolean!) {
          s: schedule(id: $id) { id ...week }
        }
        fragment week on Schedule {
          slots(first: 1000) {
            totalCount
            edges { cursor node { id start status
              booked: appointments { nodes { id status patient { id displayName } patients { id displayName } practitioners { id displayName } slots { id } locations { name } } }
              again: appointments @skip(if: $skip) { totalCount }
            } }
          }
        }
        """,
        """
        query($id: ID!, $skip: Boolean!) {
          schedule(id: $id) {
            slots(first: 3) { pageInfo { hasNextPage endCursor } nodes { id schedule { id active } ... on Slot { appointments(first: 1) { totalCount nodes { id } } } } }
            free: slots(where: { status: [FREE] }, first: 2) { totalCount nodes { id status } }
            ordered: slots(order: [{ start: DESC }], first: 2) @skip(if: $skip) { nodes { id start } }
          }
        }
        """,
        """
        query($id: ID!, $skip: Boolean!) {
          schedule(id: $id) {
            slots(first: 50) { nodes { id
              appointments(where: { status: [BOOKED] }) { nodes { id patient @include(if: $skip) { id } patients @skip(if: $skip) { id } location { name } } }
              appointments2: appointments @include(if: $skip) { nodes { patient { appointments(first: 2) { totalCount nodes { id } } } } }
            } }
          }
        }
        """,
        """
        query($id: ID!, $skip: Boolean!) {
          s: schedule(id: $id) { id ...lists }
          n: node(id: $id) { id ... on Schedule {
            free: slots(where: { status: [FREE] }, first: 2) { totalCount nodes { id appointments(where: { status: [BOOKED] }) { totalCount nodes { id practitioners { id } } } } }
            ...lists } }
        }
        fragment lists on Schedule {
          busy: slots(where: { status: [BUSY] }, order: [{ start: DESC }], first: 3) @skip(if: $skip) { totalCount nodes { id start appointments(first: 2) { nodes { id patient { id } } } } }
          slots(first: 2) { nodes { id } }
        }
        """,
    ];

    [Fact]
    public async Task Every_operation_answers_the_same_with_the_planner_on_and_off()
    {
        var store = new InMemoryFhirStore();
        await using var on = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Fhir:Includes"] = "On" }, s => s.AddSingleton(store));
        await using var off = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Fhir:Includes"] = "Off", ["Fhir:Seed"] = "false" }, s => s.AddSingleton(store));

        var schedules = (await on.QueryAsync("{ schedules(first: 5) { nodes { id } } }")).At("data.schedules.nodes")!.AsArray();
        Assert.NotEmpty(schedules);
        foreach (var schedule in schedules)
        {
            foreach (var operation in Operations)
            {
                foreach (var skip in new[] { true, false })
                {
                    var variables = new { id = schedule!["id"]!.GetValue<string>(), skip };
                    var planned = await on.QueryAsync(operation, variables);
                    var unplanned = await off.QueryAsync(operation, variables);
                    Assert.True(unplanned["errors"] is null, unplanned.ToJsonString());
                    Assert.NotNull(unplanned["data"]?["schedule"] ?? unplanned["data"]?["s"]);
                    Assert.Equal(unplanned.ToJsonString(), planned.ToJsonString());
                }
            }
        }
    }
}
