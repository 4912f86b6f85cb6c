using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Planning;
using Scheduling.Testing;

namespace Scheduling.Tests.Planning;

/// <summary>
/// A nested list's selection and plan are read once per field of a parsed document (<see cref="QueryPlanner.Optimistic"/>),
/// not once per parent (the hundred slots of a week view) nor once per request of the same document; a different
/// selection gets its own plan, and a selection that depends on variables is planned for the variables it is run with.
/// </summary>
public sealed class KeptPlanTests
{
    private const string WithPractitioners = """{ slot(id: "s") { appointments { nodes { id practitioners { id } } } } }""";

    [Fact]
    public async Task A_fields_plan_is_kept_with_its_document_and_another_selection_gets_its_own()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Fhir:Includes"] = "On", ["Fhir:Seed"] = "false" });
        using var scope = gateway.Services.CreateScope();
        var planner = scope.ServiceProvider.GetRequiredService<QueryPlanner>();
        var schema = gateway.Services.GetRequiredService<ISchema>();
        schema.Initialize();

        var document = GraphQLParser.Parser.Parse(WithPractitioners);
        var first = planner.Optimistic(AppointmentsOf(schema, document), "Appointment");
        Assert.Contains("Appointment:practitioner", first.Signature, StringComparison.Ordinal);
        Assert.Same(first, planner.Optimistic(AppointmentsOf(schema, document), "Appointment")); // another slot, or request, of the same document

        var other = planner.Optimistic(AppointmentsOf(schema, GraphQLParser.Parser.Parse(WithPractitioners.Replace("practitioners", "slots", StringComparison.Ordinal))), "Appointment");
        Assert.DoesNotContain("Appointment:practitioner", other.Signature, StringComparison.Ordinal);
        Assert.Contains("Appointment:slot", other.Signature, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_selection_that_depends_on_variables_is_planned_for_the_variables_of_each_request()
    {
        var store = new InMemoryFhirStore();
        var recorder = new RecordingFhirStore(store);
        await using var gateway = await GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Fhir:Includes"] = "On", ["Cache:Enabled"] = "false" },
            s =>
            {
                s.AddSingleton(store);
                recorder.Register(s);
            });
        const string query = """
            query($p: Boolean!) { schedule(id: "alice-smith-schedule") { id
              slots { nodes { id appointments { nodes { id practitioners @include(if: $p) { id } } } } } } }
            """;

        foreach (var withPractitioners in new[] { true, false, true, false })
        {
            recorder.Clear();
            var response = await gateway.QueryAsync(query, new { p = withPractitioners });
            Assert.True(response["errors"] is null, response["errors"]?.ToJsonString());
            var includes = recorder.Searches.SelectMany(s => FhirInclude.Of(s.Query)).Select(i => i.ToString()).ToList();
            Assert.True(withPractitioners == includes.Any(i => i.Contains("Appointment:practitioner", StringComparison.Ordinal)), string.Join(" | ", recorder.Searches.Select(s => s.ToString())));
        }
    }

    /// <summary>The context of <c>Slot.appointments</c> as its resolver sees it, in this parsed document.</summary>
    private static ResolveFieldContext AppointmentsOf(ISchema schema, GraphQLDocument document)
    {
        var slot = (GraphQLField)((GraphQLOperationDefinition)document.Definitions[0]).SelectionSet.Selections[0];
        var appointments = (GraphQLField)slot.SelectionSet!.Selections[0];
        var slotType = (IComplexGraphType)schema.AllTypes["Slot"]!;
        return new ResolveFieldContext
        {
            Schema = schema,
            Document = document,
            ParentType = (IObjectGraphType)slotType,
            FieldDefinition = slotType.GetField("appointments")!,
            FieldAst = appointments,
            UserContext = new Dictionary<string, object?>(),
        };
    }
}
