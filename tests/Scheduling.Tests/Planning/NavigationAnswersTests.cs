using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Planning;
using Scheduling.Testing;

namespace Scheduling.Tests.Planning;

/// <summary>
/// The rule that keeps a planned search from reading what the DataLoaders would not: an include brings every resource
/// its search parameter points at (a reverse include every resource pointing back), so a navigation may be planned
/// only when its field answers all of them. Walked over the whole table against the fields' real resolvers (planner
/// off) on <see cref="PlannerWorld"/>, where every navigation has an owner with two items: a navigation declared
/// <see cref="Answers.All"/> whose field answers fewer (the first patient of a group appointment) fails here, as does
/// one declared <see cref="Answers.One"/> whose field answers all (<c>patients</c>: a request the plan would save), and
/// the planner never includes one declared <see cref="Answers.One"/>.
/// </summary>
public sealed class NavigationAnswersTests : IAsyncLifetime
{
    private InMemoryFhirStore _store = null!;
    private GatewayServer _gateway = null!;

    public async Task InitializeAsync()
    {
        _store = await PlannerWorld.CreateAsync();
        _gateway = await GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Fhir:Includes"] = "Off", ["Fhir:Seed"] = "false", ["Cache:Enabled"] = "false" },
            s => s.AddSingleton(_store));
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Every_navigation_the_planner_includes_answers_every_resource_its_include_brings()
    {
        Assert.NotEmpty(Navigations.All);
        var problems = new List<string>();
        foreach (var ((type, field), navigation) in Navigations.All)
        {
            var owners = await _store.SearchAllAsync(new FhirQuery(navigation.OwnerType), CancellationToken.None);
            var items = await _store.SearchAllAsync(new FhirQuery(navigation.ItemType), CancellationToken.None);
            var include = navigation.Include(iterate: false);
            var widest = 0;
            var fewer = false;
            foreach (var owner in owners)
            {
                var brought = Brought(navigation, owner, items);
                var answered = await AnsweredAsync(type, field, navigation, owner);
                var name = $"{type}.{field} of {owner.TypeName}/{owner.Id} answers [{string.Join(", ", answered)}], {include} brings [{string.Join(", ", brought)}]";
                if (!answered.IsSubsetOf(brought))
                {
                    problems.Add(name + ": the field reaches beyond its parameter");
                }
                else if (!answered.SetEquals(brought))
                {
                    fewer = true;
                    if (navigation.Includable)
                    {
                        problems.Add(name + ": declared Answers.All, it answers fewer (declare it Answers.One: the DataLoaders then load it)");
                    }
                }

                widest = Math.Max(widest, brought.Count);
            }

            // Without an owner of two items, "answers all" and "answers the first" look alike: the world must have one,
            // unless FHIR lets the parameter hold one reference only (Slot.schedule).
            if (widest < 2 && (navigation.Reverse || !HoldsOneReference(navigation)))
            {
                problems.Add($"{type}.{field}: no {navigation.OwnerType} in PlannerWorld has two {navigation.ItemType}s through '{navigation.Parameter}'; add one");
            }

            // The other way round: a field answering every resource its include brings, declared One, costs a request the
            // plan would save (Appointment.patients beside Appointment.patient). Only decidable with an owner of two items.
            if (!fewer && !navigation.Includable && widest >= 2)
            {
                problems.Add($"{type}.{field}: declared Answers.One, it answers every resource {include} brings (declare it Answers.All: the planner then includes it)");
            }

            var plan = IncludePlanner.Plan(navigation.OwnerType, [new SelectedField(type, field, new SelectedField(navigation.ItemType, "id"))], _ => true, _ => true);
            if (!plan.IsEmpty && (fewer || !navigation.Includable))
            {
                problems.Add($"{type}.{field} answers fewer than its include brings, yet the planner sends {string.Join("&", plan.Includes)}");
            }
            else if (plan.IsEmpty && navigation.Includable)
            {
                problems.Add($"{type}.{field}: declared Answers.All, the planner does not include it");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>What the navigation's include brings for one owner: as a FHIR server follows the parameter.</summary>
    private static HashSet<FhirReference> Brought(Navigation navigation, Resource owner, IReadOnlyList<Resource> items)
    {
        if (!navigation.Reverse)
        {
            return [.. SearchParameterIndex.References(owner, navigation.Parameter).Where(r => r.ResourceType == navigation.Target)];
        }

        var target = new FhirReference(owner.TypeName, owner.Id!);
        return [.. items.Where(i => SearchParameterIndex.References(i, navigation.Parameter).Contains(target)).Select(i => new FhirReference(i.TypeName, i.Id!))];
    }

    /// <summary>What the field answers for one owner, by its own resolver (the DataLoaders; no plan).</summary>
    private async Task<HashSet<FhirReference>> AnsweredAsync(string type, string field, Navigation navigation, Resource owner)
    {
        var root = char.ToLowerInvariant(type[0]) + type[1..];
        var below = navigation.Reverse ? "(first: 100) { nodes { fhirReference } }" : " { fhirReference }";
        var answer = await _gateway.QueryAsync($"query($id: ID!) {{ {root}(id: $id) {{ {field}{below} }} }}", new { id = owner.Id });
        Assert.True(answer["errors"] is null, answer.ToJsonString());
        var value = answer.At($"data.{root}.{field}");
        var nodes = (navigation.Reverse ? value!["nodes"] : value) switch
        {
            JsonArray list => list.ToList(),
            null => [],
            JsonNode single => [single],
        };
        return [.. nodes.Select(n => FhirReference.TryParse(n!["fhirReference"]!.GetValue<string>(), out var reference) ? reference : throw new InvalidOperationException(n.ToJsonString()))];
    }

    /// <summary>
    /// Whether FHIR's model lets the parameter's element hold at most one reference per resource: no collection on its
    /// path (<c>Slot.schedule</c>, 1..1; not <c>Appointment.participant.actor</c>, participant being 1..*).
    /// </summary>
    private static bool HoldsOneReference(Navigation navigation)
    {
        var expression = SearchParameterIndex.Find(navigation.Source, navigation.Parameter)!.Expression!;
        if (expression.Contains('|', StringComparison.Ordinal))
        {
            return false;
        }

        var path = expression.Split(".where(")[0].Split('.');
        var mapping = ModelInfo.ModelInspector.FindClassMapping(path[0]);
        foreach (var step in path[1..])
        {
            var element = mapping?.FindMappedElementByName(step);
            if (element is null || element.IsCollection)
            {
                return false;
            }

            mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(element.ImplementingType);
        }

        return mapping is not null;
    }
}
