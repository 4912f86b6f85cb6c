using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Testing;

namespace Scheduling.Tests.Planning;

/// <summary>
/// Review 12 probes of Appointment.patients: patient pa0 is in group appointment a7 with pa2 (PlannerWorld). Through
/// every path that reaches a7 (by id, node, nodes, the patient's own list, a slot's, a schedule's, aliases, fragments,
/// interface fragments) pa0 receives nothing of pa2, planner on and off, and both answer the same.
/// </summary>
public sealed class GroupPatientLeakTests : IAsyncLifetime
{
    private InMemoryFhirStore _store = null!;
    private GatewayServer _planned = null!;
    private GatewayServer _unplanned = null!;

    public async Task InitializeAsync()
    {
        _store = await PlannerWorld.CreateAsync();
        _planned = await StartAsync("On");
        _unplanned = await StartAsync("Off");
    }

    public async Task DisposeAsync()
    {
        await _planned.DisposeAsync();
        await _unplanned.DisposeAsync();
    }

    private const string Sel = "fhirId patients { id fhirId name { given family } } p2: patients { __typename ... on Node { id } } patient { fhirId } participants { actor { __typename ... on Patient { fhirId } ... on Node { id } } }";

    public static IEnumerable<object[]> Queries() => new[]
    {
        "query { appointment(id: \"a7\") { " + Sel + " } }",
        "query { node(id: \"Appointment/a7\") { ... on Appointment { " + Sel + " } } }",
        "query { nodes(ids: [\"Appointment/a7\", \"Appointment/a0\"]) { ... A } } fragment A on Appointment { " + Sel + " }",
        "query { patient(id: \"pa0\") { appointments { nodes { " + Sel + " } } } }",
        "query { node(id: \"Patient/pa0\") { ... on Patient { appointments { nodes { " + Sel + " } } } } }",
        "query { slot(id: \"s1-0\") { appointments { nodes { " + Sel + " } } } }",
        "query { schedule(id: \"s1\") { slots { nodes { appointments { nodes { " + Sel + " patients { appointments { nodes { patients { fhirId } } } } } } } } } }",
        "query { a: appointment(id: \"a7\") { x: patients { fhirId } } b: appointment(id: \"a7\") { x: patients { fhirId } } }",
        "query { appointment(id: \"a7\") { patients { fhirId appointments { nodes { patients { fhirId name { given } } } } } } }",
    }.Select(q => new object[] { q });

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task A_patient_in_a_group_receives_no_co_patient(string query)
    {
        var token = TestTokens.Patient("pa0");
        var planned = await _planned.QueryAsync(query, null, token);
        var unplanned = await _unplanned.QueryAsync(query, null, token);
        var text = planned.ToJsonString();
        foreach (var leak in new[] { "\"pa2\"", GlobalId.Encode("Patient", "pa2"), "Patient/pa2", "\"Ed\"" })
        {
            Assert.False(text.Contains(leak, StringComparison.Ordinal), $"planned answer has {leak}: {text}");
            Assert.False(unplanned.ToJsonString().Contains(leak, StringComparison.Ordinal), $"unplanned answer has {leak}: {unplanned.ToJsonString()}");
        }

        Assert.Equal(unplanned.ToJsonString(), text);
    }

    /// <summary>Same request: a7 (with pa2) loaded through patients first, then pa2 asked by id, node and nodes.</summary>
    [Fact]
    public async Task A_co_patient_brought_by_an_include_is_not_served_later_in_the_same_request()
    {
        const string Query = "query { appointment(id: \"a7\") { patients { fhirId } } patient(id: \"pa2\") { fhirId name { given } } node(id: \"Patient/pa2\") { id } nodes(ids: [\"Patient/pa2\"]) { id } }";
        var token = TestTokens.Patient("pa0");
        foreach (var gateway in new[] { _planned, _unplanned })
        {
            var text = (await gateway.QueryAsync(Query, null, token)).ToJsonString();
            Assert.False(text.Contains("\"pa2\"", StringComparison.Ordinal) || text.Contains(GlobalId.Encode("Patient", "pa2"), StringComparison.Ordinal) || text.Contains("\"Ed\"", StringComparison.Ordinal), text);
        }
    }

    private Task<GatewayServer> StartAsync(string includes)
    {
        var settings = TestTokens.GatewaySettings();
        settings["Fhir:Includes"] = includes;
        settings["Fhir:Seed"] = "false";
        settings["Cache:Enabled"] = "false";
        settings["Booking:HoldSweepSeconds"] = "3600";
        return GatewayServer.StartAsync(settings, s =>
        {
            s.AddSingleton(_store);
            s.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (_, _) => _store);
        });
    }
}
