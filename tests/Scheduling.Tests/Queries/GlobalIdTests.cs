using System.Text;
using System.Text.Json.Nodes;
using Scheduling.Schema.Identity;
using Scheduling.Testing;

namespace Scheduling.Tests.Queries;

/// <summary>
/// Global object identification on the embedded store: a schema walk over every type with an id, node/nodes for
/// every entity type, the three forms an id argument reads, and the typed refusals.
/// </summary>
public sealed class GlobalIdTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    /// <summary>How the test finds one entity of each type on the seeded store; a new Node type without one fails the walk.</summary>
    private static readonly Dictionary<string, string> Samples = new()
    {
        ["Practitioner"] = "{ x: practitioners(first: 1) { nodes { id fhirId fhirReference } } }",
        ["Patient"] = "{ x: patients(first: 1) { nodes { id fhirId fhirReference } } }",
        ["Location"] = "{ x: location(id: \"springfield-clinic\") { id fhirId fhirReference } }",
        ["HealthcareService"] = "{ x: healthcareService(id: \"physiotherapy\") { id fhirId fhirReference } }",
        ["Schedule"] = "{ x: schedules(first: 1) { nodes { id fhirId fhirReference } } }",
        ["Slot"] = "{ x: slots(first: 1) { nodes { id fhirId fhirReference } } }",
        ["Appointment"] = "{ x: appointments(first: 1) { nodes { id fhirId fhirReference } } }",
        ["AppointmentResponse"] = "{ x: appointment(id: \"homer-fall-assessment\") { responses(first: 1) { nodes { id fhirId fhirReference } } } }",
        ["AvailabilityOption"] = "{ x: availability(input: { scheduleIds: [\"alice-smith-schedule\"] }, first: 1) { nodes { id start } } }",
    };

    private GatewayServer Gateway => fixture.Gateway;

    [Fact]
    public async Task Every_type_with_an_id_implements_Node_and_its_id_round_trips_through_node_and_nodes()
    {
        await EnsureAnAppointmentResponseAsync();
        var schema = await Gateway.QueryAsync("{ __schema { types { name kind fields { name } interfaces { name } } } }");
        var types = schema.At("data.__schema.types")!.AsArray().Select(t => t!).ToList();
        var withId = types.Where(t => t["kind"]!.GetValue<string>() is "OBJECT" or "INTERFACE" && t["fields"] is JsonArray fields && fields.Any(f => f!["name"]!.GetValue<string>() == "id"))
            .Select(t => t["name"]!.GetValue<string>()).Where(n => n != "Node").ToList();
        var nodes = types.Where(t => t["interfaces"] is JsonArray i && i.Any(x => x!["name"]!.GetValue<string>() == "Node")).Select(t => t["name"]!.GetValue<string>()).ToList();

        Assert.Equal(withId.Order(), nodes.Order());
        // The types the front desk reads round-trip here; the admin-only ones (the access policy's ReadRoleOf: webhooks
        // and their deliveries) round-trip through node and nodes as an admin in NodeAuthorizationTests.
        var deskNodes = nodes.Where(t => !Security.ExposurePractice.DeskRefused(t)).ToList();
        Assert.Equal(Samples.Keys.Order(), deskNodes.Order());
        Assert.Contains(nodes, Security.ExposurePractice.DeskRefused);

        var asked = new List<(string Type, string Id, string FhirId)>();
        foreach (var type in deskNodes)
        {
            var sample = (await Gateway.QueryAsync(Samples[type]))["data"]!["x"]!;
            var entity = sample["nodes"]?[0] ?? sample["responses"]?["nodes"]?[0] ?? sample;
            var id = entity["id"]!.GetValue<string>();
            // An availability option is no FHIR resource: its id names its schedule and span, and node answers the same option.
            var isOption = type == GlobalId.OptionType;
            var fhirId = isOption ? entity["start"]!.GetValue<string>() : entity["fhirId"]!.GetValue<string>();
            var facts = isOption ? "start" : "fhirId";
            Assert.StartsWith(type + ":", Encoding.UTF8.GetString(Convert.FromBase64String(Padded(id))), StringComparison.Ordinal);
            if (!isOption)
            {
                Assert.Equal(type + "/" + fhirId, entity["fhirReference"]!.GetValue<string>());
                Assert.Equal(type + ":" + fhirId, Encoding.UTF8.GetString(Convert.FromBase64String(Padded(id))));
            }

            var node = await Gateway.QueryAsync("query($id: ID!) { node(id: $id) { __typename id ... on " + type + " { " + facts + " } } }", new { id });
            Assert.Null(node["errors"]);
            Assert.Equal(type, node.At("data.node.__typename")!.GetValue<string>());
            Assert.Equal(id, node.At("data.node.id")!.GetValue<string>());
            Assert.Equal(fhirId, node.At("data.node." + facts)!.GetValue<string>());
            asked.Add((type, id, fhirId));
        }

        // All of them at once, in the order asked, with an unknown one in the middle giving null.
        var ids = asked.Select(a => a.Id).ToList();
        ids.Insert(3, GlobalId.Encode("Slot", "no-such-slot"));
        var all = await Gateway.QueryAsync("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", new { ids });
        Assert.Null(all["errors"]);
        var answered = all.At("data.nodes")!.AsArray();
        Assert.Equal(ids.Count, answered.Count);
        Assert.Null(answered[3]);
        Assert.Equal(asked.Select(a => a.Id), answered.Where((_, i) => i != 3).Select(n => n!["id"]!.GetValue<string>()));
        Assert.Equal(asked.Select(a => a.Type), answered.Where((_, i) => i != 3).Select(n => n!["__typename"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("global")]
    [InlineData("reference")]
    [InlineData("bare")]
    public async Task An_id_argument_reads_the_global_id_the_FHIR_reference_and_the_bare_FHIR_id_alike(string form)
    {
        var id = form switch
        {
            "global" => GlobalId.Encode("Schedule", "alice-smith-schedule"),
            "reference" => "Schedule/alice-smith-schedule",
            _ => "alice-smith-schedule",
        };
        var answer = await Gateway.QueryAsync(
            "query($id: ID!) { schedule(id: $id) { fhirId } slots(where: { scheduleIds: [$id] }, first: 1) { nodes { schedule { fhirId } } } }",
            new { id });
        Assert.Null(answer["errors"]);
        Assert.Equal("alice-smith-schedule", answer.At("data.schedule.fhirId")!.GetValue<string>());
        Assert.Equal("alice-smith-schedule", answer.At("data.slots.nodes.0.schedule.fhirId")!.GetValue<string>());
    }

    [Theory]
    [InlineData("schedule(id: $id) { id }", "Practitioner")]
    [InlineData("slots(where: { scheduleIds: [$id] }) { totalCount }", "Slot")]
    [InlineData("node(id: $id) { id }", "Garbage")]
    [InlineData("nodes(ids: [$id]) { id }", "Garbage")]
    [InlineData("schedules(actor: $id) { totalCount }", "Slot")]
    public async Task A_global_id_of_the_wrong_type_or_garbage_is_a_typed_error(string field, string kind)
    {
        var (id, code) = kind switch
        {
            "Garbage" => ("bm90IGFuIGlk!", "INVALID_ID"),
            _ => (GlobalId.Encode(kind, "alice-smith"), "WRONG_ID_TYPE"),
        };
        var literal = await Gateway.QueryAsync("{ " + field.Replace("$id", Quote(id), StringComparison.Ordinal) + " }");
        var variable = await Gateway.QueryAsync("query($id: ID!) { " + field + " }", new { id });
        foreach (var answer in new[] { literal, variable })
        {
            Assert.Null(answer["data"]);
            Assert.True(code == answer.At("errors.0.extensions.code")?.GetValue<string>(), answer.ToJsonString());
        }
    }

    [Fact]
    public async Task Ids_inside_errors_never_collide_with_entity_ids()
    {
        var appointment = GlobalId.Encode("Appointment", "no-such-appointment");
        var answer = await Gateway.QueryAsync(
            "mutation($id: ID!) { cancelAppointment(input: { appointmentId: $id, reason: \"test\" }) { errors { __typename ... on NotFoundError { resourceType resourceId } } } }",
            new { id = appointment });
        Assert.True(answer["errors"] is null, answer.ToJsonString());
        var error = answer.At("data.cancelAppointment.errors.0")!;
        Assert.Equal("NotFoundError", error["__typename"]!.GetValue<string>());
        Assert.Equal(appointment, error["resourceId"]!.GetValue<string>());
        Assert.True(error["id"] is null, answer.ToJsonString());
    }

    [Fact]
    public async Task Nodes_past_the_cap_are_refused_before_anything_is_read()
    {
        var ids = Enumerable.Range(0, 101).Select(i => GlobalId.Encode("Slot", "s" + i)).ToList();
        var answer = await Gateway.QueryAsync("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", new { ids });
        Assert.Equal("TOO_MANY_IDS", answer.At("errors.0.extensions.code")?.GetValue<string>());
        var atCap = await Gateway.QueryAsync("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", new { ids = ids.Take(100).ToList() });
        Assert.Null(atCap["errors"]);
        Assert.Equal(100, atCap.At("data.nodes")!.AsArray().Count);
    }

    private async Task EnsureAnAppointmentResponseAsync()
    {
        var answer = await Gateway.QueryAsync("""
            mutation { respondToAppointment(input: { appointmentId: "Appointment/homer-fall-assessment", actorId: "Practitioner/alice-smith", participantStatus: ACCEPTED }) {
              errors { __typename ... on Error { message } } } }
            """);
        Assert.Null(answer["errors"]);
    }

    private static string Quote(string value) => "\"" + value + "\"";

    private static string Padded(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text + new string('=', (4 - (text.Length % 4)) % 4);
    }
}
