using System.Text.Json.Nodes;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Security;

/// <summary>
/// <c>node(id:)</c> and <c>nodes(ids:)</c> are a second door to every entity: for every type that implements Node
/// (read from the schema, so a new one is checked as soon as it exists), a caller who may not see the other patient
/// gets through them exactly what the type's own root field answers, and for a record they may not see the same
/// answer as for one that does not exist: null with the same FORBIDDEN error, never the record.
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class NodeAuthorizationTests(MedplumFixture medplum)
{
    private const string Introspection = """
        { __schema { queryType { fields { name type { ...T } args { name type { ...T } } } }
            types { name possibleTypes { name } fields(includeDeprecated: true) { name type { ...T } args { type { kind } } } } } }
        fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
        """;

    [Fact]
    public async Task Node_and_nodes_answer_every_entity_type_as_its_root_field_does_and_never_give_another_patients_record()
    {
        var gateway = await medplum.GatewayAsync(TestTokens.Settings);
        var practice = await ExposurePractice.CreateAsync(medplum.Store, gateway);
        var schema = (await gateway.QueryAsync(Introspection, bearerToken: TestTokens.Scheduler())).At("data.__schema")!;
        var types = schema["types"]!.AsArray().ToDictionary(t => t!["name"]!.GetValue<string>(), t => t!);
        var nodeTypes = types["Node"]["possibleTypes"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();
        var callers = new (string Name, string Token)[]
        {
            ("patient", TestTokens.Patient(practice.Me.Id!)),
            ("role-less", TestTokens.Issue(("scope", "openid"))),
            ("unrelated practitioner", TestTokens.Practitioner(practice.B.Practitioner.Id!)),
        };

        var hiddenSomewhere = new HashSet<string>();
        foreach (var type in nodeTypes)
        {
            var id = practice.GlobalIdOf(type) ?? throw new Xunit.Sdk.XunitException($"The practice has no {type}: give ExposurePractice.IdOf one for this Node type.");
            var absent = practice.AbsentGlobalIdOf(type);
            // An availability option and a webhook delivery have no FHIR id: they are known by their global id.
            var opaque = practice.IdOf(type) is null;
            var fhirId = opaque ? id : practice.IdOf(type)!;
            var absentFhirId = opaque ? absent : "no-such-" + type.ToLowerInvariant();
            var known = opaque ? "id" : "fhirId";
            var selection = Scalars(types[type]);
            var root = RootFieldOf(schema, type);
            string Node(string field) => $"query($id: ID!) {{ n: {field}(id: $id) {{ ... on {type} {{ {selection} }} }} }}";
            var nodes = $"query($ids: [ID!]!) {{ n: nodes(ids: $ids) {{ ... on {type} {{ {selection} }} }} }}";

            // The least role that reads the type (the access policy's) reads the record through node and nodes: the
            // answers below are about a record that exists. A type the front desk may not read is refused to it too.
            var reader = ExposurePractice.ReaderTokenOf(type);
            var desk = await gateway.QueryAsync(Node("node"), new { id }, reader);
            Assert.True(fhirId == desk.At("data.n." + known)?.GetValue<string>(), $"{type}: {desk.ToJsonString()}");
            var deskAll = await gateway.QueryAsync(nodes, new { ids = new[] { id } }, reader);
            Assert.True(fhirId == deskAll.At("data.n.0." + known)?.GetValue<string>(), $"{type}: {deskAll.ToJsonString()}");

            foreach (var (name, token) in ExposurePractice.DeskRefused(type) ? callers.Append(("scheduler", TestTokens.Scheduler())) : callers)
            {
                var viaNode = await gateway.QueryAsync(Node("node"), new { id }, token);
                var viaNodes = await gateway.QueryAsync(nodes, new { ids = new[] { id } }, token);
                var because = $"{type} as {name}: node {viaNode.ToJsonString()} nodes {viaNodes.ToJsonString()}";
                Assert.True(practice.LeaksIn(viaNode, id).Count == 0, because);
                Assert.True(practice.LeaksIn(viaNodes, id).Count == 0, because);

                // nodes gives, in place, what node gives.
                Assert.True(Shape(viaNode, "n") == Shape(viaNodes, "n.0"), because);
                if (root is not null)
                {
                    var viaRoot = await gateway.QueryAsync(Node(root), new { id }, token);
                    Assert.True(Shape(viaRoot, "n") == Shape(viaNode, "n"), $"{because} root {viaRoot.ToJsonString()}");
                }

                if (viaNode.At("data.n") is null)
                {
                    // Not shown: answered as a record that does not exist is, so nothing tells that it exists.
                    hiddenSomewhere.Add(type);
                    var missing = await gateway.QueryAsync(Node("node"), new { id = absent }, token);
                    var missingAll = await gateway.QueryAsync(nodes, new { ids = new[] { absent } }, token);
                    Assert.True(Shape(viaNode, "n").Replace(fhirId, "ID", StringComparison.Ordinal) == Shape(missing, "n").Replace(absentFhirId, "ID", StringComparison.Ordinal), $"{because} missing {missing.ToJsonString()}");
                    Assert.True(Shape(viaNodes, "n.0").Replace(fhirId, "ID", StringComparison.Ordinal) == Shape(missingAll, "n.0").Replace(absentFhirId, "ID", StringComparison.Ordinal), $"{because} missing {missingAll.ToJsonString()}");
                }
            }
        }

        // The other patient's record, appointment and answer are each refused to someone: the walk reached them.
        Assert.Superset(new HashSet<string> { "Patient", "Appointment", "AppointmentResponse", "Webhook", GlobalId.DeliveryType }, hiddenSomewhere);
    }

    /// <summary>What a caller learns from one entity's answer: its data and the message and code of each error, without paths.</summary>
    private static string Shape(JsonObject answer, string at)
    {
        var errors = answer["errors"]?.AsArray().Select(e => $"{e!["message"]}|{e.At("extensions.code")}") ?? [];
        return (answer.At("data." + at)?.ToJsonString() ?? "null") + " " + string.Join(";", errors);
    }

    /// <summary>The root field that reads one entity of the type by id, if the schema has one.</summary>
    private static string? RootFieldOf(JsonNode schema, string type) =>
        schema.At("queryType.fields")!.AsArray()
            .Where(f => Named(f!["type"]!) == type && f!["args"]!.AsArray() is [{ } only] && only["name"]!.GetValue<string>() == "id")
            .Select(f => f!["name"]!.GetValue<string>())
            .SingleOrDefault();

    /// <summary>Every scalar and enum field of the type that takes no required argument.</summary>
    private static string Scalars(JsonNode type) => string.Join(' ', type["fields"]!.AsArray()
        .Where(f => Kind(f!["type"]!) is "SCALAR" or "ENUM" && f!["args"]!.AsArray().All(a => a!.At("type.kind")!.GetValue<string>() != "NON_NULL"))
        .Select(f => f!["name"]!.GetValue<string>()));

    private static string Named(JsonNode type) => type["name"]?.GetValue<string>() is { } name ? name : Named(type["ofType"]!);

    private static string Kind(JsonNode type) => type["ofType"] is { } inner && type["name"] is null ? Kind(inner) : type["kind"]!.GetValue<string>();
}
