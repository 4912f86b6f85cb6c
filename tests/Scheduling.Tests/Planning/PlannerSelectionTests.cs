using System.Globalization;
using System.Text;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Planning;
using Scheduling.Testing;

namespace Scheduling.Tests.Planning;

/// <summary>
/// Generated selections over every navigation the planner knows (<see cref="Navigations"/>), from by-id and list root
/// fields, with aliases, inline and named fragments, <c>@skip</c>/<c>@include</c>, and <c>first</c>/<c>after</c> on
/// nested connections: the planner on answers byte for byte as the planner off, and a planned search never brings a
/// resource the DataLoaders would not have fetched (the search budget priced their levels; a plan must not turn a
/// cheap-looking query into an expensive search).
/// </summary>
public sealed class PlannerSelectionTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Scalars = new()
    {
        ["Schedule"] = "id active",
        ["Slot"] = "id start status",
        ["Appointment"] = "id status start",
        ["Patient"] = "id displayName",
        ["Practitioner"] = "id displayName",
        ["Location"] = "id name",
    };

    private InMemoryFhirStore _store = null!;
    private RecordingFhirStore _onStore = null!;
    private RecordingFhirStore _offStore = null!;
    private GatewayServer _on = null!;
    private GatewayServer _off = null!;

    public async Task InitializeAsync()
    {
        _store = await PlannerWorld.CreateAsync();
        _onStore = new RecordingFhirStore(_store);
        _offStore = new RecordingFhirStore(_store);
        _on = await StartAsync("On", _onStore);
        _off = await StartAsync("Off", _offStore);
    }

    public async Task DisposeAsync()
    {
        await _on.DisposeAsync();
        await _off.DisposeAsync();
    }

    private Task<GatewayServer> StartAsync(string includes, RecordingFhirStore recorder) =>
        GatewayServer.StartAsync(
            new Dictionary<string, string?> { ["Fhir:Includes"] = includes, ["Fhir:Seed"] = "false", ["Cache:Enabled"] = "false" },
            s =>
            {
                s.AddSingleton(_store);
                recorder.Register(s);
            });

    /// <summary>One generated operation: its text, variables, and whether it pages a nested list.</summary>
    public sealed record Operation(string Text, bool Flag, bool Pages)
    {
        public override string ToString() => Text + " / t=" + Flag.ToString(CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Generated_selections_answer_the_same_with_the_planner_on_and_off_and_plan_no_more_than_the_DataLoaders_fetch()
    {
        var planned = 0;
        await Operations().SampleAsync(async operation =>
        {
            _onStore.Clear();
            _offStore.Clear();
            var variables = new Dictionary<string, object?> { ["t"] = operation.Flag };
            var on = await _on.QueryAsync(operation.Text, variables);
            var off = await _off.QueryAsync(operation.Text, variables);
            Assert.True(off["errors"] is null, off.ToJsonString());
            Assert.Equal(off.ToJsonString(), on.ToJsonString());

            var plannedSearches = _onStore.Searches.Where(s => s.HasIncludes).ToList();
            planned += plannedSearches.Count;
            if (!operation.Pages)
            {
                var fetched = PlannerWorld.Brought(_offStore.Searches);
                Assert.All(plannedSearches, s => Assert.Subset(fetched, s.Brought.ToHashSet()));
            }
        }, iter: 150, threads: 1);
        Assert.True(planned > 50, $"only {planned} planned searches: the generator hardly reaches the planner");
    }

    /// <summary>
    /// The case the rule "each type reached one way" exists for: a patient's other appointments below a schedule's
    /// appointments. Followed as iterating includes, <c>Appointment:patient</c> and the patients' reverse
    /// <c>Appointment:patient</c> chase each other through a group appointment to patients and appointments the query
    /// never reaches; level by level the DataLoaders fetch only what the selection names.
    /// </summary>
    [Fact]
    public async Task A_selection_that_goes_round_through_patients_plans_no_search_beyond_what_the_DataLoaders_fetch()
    {
        const string query = """
            query { schedule(id: "s0") { slots { nodes { appointments { nodes { patient { appointments { nodes { id practitioners { id } } } } } } } } } }
            """;
        _onStore.Clear();
        _offStore.Clear();
        var on = await _on.QueryAsync(query);
        var off = await _off.QueryAsync(query);

        Assert.Equal(off.ToJsonString(), on.ToJsonString());
        // The root's plan stops at the patients; their appointments (a list the root's plan cannot cover) plan their own.
        var plannedSearches = _onStore.Searches.Where(s => s.HasIncludes).ToList();
        Assert.Equal(2, plannedSearches.Count);
        var fetched = PlannerWorld.Brought(_offStore.Searches);
        Assert.All(plannedSearches, s => Assert.Subset(fetched, s.Brought.ToHashSet()));
        Assert.All(plannedSearches, s => Assert.DoesNotContain(new FhirReference("Patient", "pa2"), s.Brought));
    }

    /// <summary>
    /// The bench's week view: a practitioner's schedules, a week of their slots (filtered: no include can say
    /// "only this week"), each slot's appointments and patients. The root's plan brings the schedules; the filtered
    /// slot list plans its own search, which brings the appointments and, for <c>patients</c> (every patient, what
    /// <c>_include=Appointment:patient</c> brings), their patients: two searches instead of five. For <c>patient</c> (an
    /// appointment's first patient, while the include would bring all of them) the patients are loaded by id: three.
    /// </summary>
    [Theory]
    [InlineData("patients", 2)]
    [InlineData("patient", 3)]
    public async Task A_week_view_under_a_practitioner_with_filtered_slots_costs_two_searches_with_every_patient_and_three_with_the_first(string field, int searches)
    {
        var query = $$"""
            query($from: DateTime!, $to: DateTime!) { practitioner(id: "p0") { displayName schedules { nodes { id
              slots(where: { start: { gte: $from, lt: $to } }, first: 200) { nodes { start end status
                appointments { nodes { status {{field}} { displayName } } } } } } } } }
            """;
        var variables = new { from = "2031-03-03T00:00:00Z", to = "2031-03-10T00:00:00Z" };
        _onStore.Clear();
        _offStore.Clear();
        var on = await _on.QueryAsync(query, variables);
        var off = await _off.QueryAsync(query, variables);

        Assert.True(off["errors"] is null, off.ToJsonString());
        Assert.Contains("Cy Pat", off.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(off.ToJsonString(), on.ToJsonString());
        // The gateway's hold sweep may land in between (a search tagged "hold"): not the query's.
        var offSearches = _offStore.Searches.Where(s => s.Query.Get("_tag") is null).ToList();
        var onSearches = _onStore.Searches.Where(s => s.Query.Get("_tag") is null).ToList();
        Assert.True(offSearches.Count == 5, string.Join("\n", offSearches.Select(s => s.Query.ToRelativeUrl())));
        Assert.True(onSearches.Count == searches, string.Join("\n", onSearches.Select(s => s.Query.ToRelativeUrl())));
        Assert.All(onSearches.Take(2), s => Assert.True(s.HasIncludes, s.Query.ToRelativeUrl()));
        Assert.Equal(field == "patients", IncludesPatients(onSearches[1]));
        Assert.All(onSearches.Skip(2), s => Assert.Equal("Patient", s.Query.ResourceType));
        Assert.Subset(PlannerWorld.Brought(_offStore.Searches), PlannerWorld.Brought(_onStore.Searches));
    }

    /// <summary>
    /// Group classes below the practice's schedules: <c>patients</c> answers both of a7's patients and <c>locations</c>
    /// both of a0's rooms, in participant order, from the one planned search (<c>_include:iterate=Appointment:patient</c>
    /// and <c>:location</c>), the same answer as level by level and nothing read beyond it; <c>patient</c> beside them
    /// finds its first patient among what the plan brought.
    /// </summary>
    [Fact]
    public async Task Every_patient_and_location_of_a_group_appointment_is_answered_from_the_planned_search()
    {
        const string query = """
            query { schedules(first: 10) { nodes { id slots { nodes { id appointments { nodes { id patients { id displayName } locations { name } patient { displayName } } } } } } } }
            """;
        _onStore.Clear();
        _offStore.Clear();
        var on = await _on.QueryAsync(query);
        var off = await _off.QueryAsync(query);

        Assert.True(off["errors"] is null, off.ToJsonString());
        Assert.Equal(off.ToJsonString(), on.ToJsonString());
        var appointments = off.At("data.schedules.nodes")!.AsArray().SelectMany(s => s!.At("slots.nodes")!.AsArray()).SelectMany(s => s!.At("appointments.nodes")!.AsArray()).ToList();
        var group = appointments.First(a => a!["patients"]!.AsArray().Count == 2)!;
        Assert.Equal(["Cy Pat", "Ed Pat"], group["patients"]!.AsArray().Select(p => p!["displayName"]!.GetValue<string>()));
        Assert.Equal("Cy Pat", group.At("patient.displayName")!.GetValue<string>());
        var rooms = appointments.First(a => a!["locations"]!.AsArray().Count == 2)!;
        Assert.Equal(["Room 0", "Room 1"], rooms["locations"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()));

        var planned = Assert.Single(_onStore.Searches, s => s.Query.Get("_tag") is null);
        Assert.True(IncludesPatients(planned), planned.Query.ToRelativeUrl());
        Assert.Contains(FhirInclude.Of(planned.Query), i => i is { Reverse: false, Source: "Appointment", Parameter: "location" });
        Assert.Subset(PlannerWorld.Brought(_offStore.Searches), PlannerWorld.Brought(_onStore.Searches));
    }

    private static bool IncludesPatients(RecordedSearch search) =>
        FhirInclude.Of(search.Query).Any(i => i is { Reverse: false, Source: "Appointment", Parameter: "patient" });

    private static readonly (string Type, string FieldType, string Field, bool List)[] Roots =
    [
        ("Schedule", "Schedule", "schedule(id: \"s0\")", false),
        ("Schedule", "ScheduleConnection", "schedules", true),
        ("Appointment", "AppointmentConnection", "appointments", true),
        ("Patient", "PatientConnection", "patients", true),
        ("Slot", "SlotConnection", "slots", true),
        ("Practitioner", "Practitioner", "practitioner(id: \"p0\")", false),
        ("Patient", "Patient", "patient(id: \"pa0\")", false),
    ];

    private static Gen<Operation> Operations() =>
        Gen.Int[0, Roots.Length - 1].SelectMany(i => Gen.Select(Selection(Roots[i].Type, 0), Gen.Bool, Gen.Bool).Select((selection, flag, named) =>
        {
            var (_, fieldType, field, list) = Roots[i];
            var body = (list ? $"nodes {{ {selection.Text} }}" : selection.Text) + " __typename @skip(if: $t)";
            var text = named
                ? $"query($t: Boolean!) {{ r: {field} {{ ...F }} }} fragment F on {fieldType} {{ {body} }}"
                : $"query($t: Boolean!) {{ {field} {{ {body} }} }}";
            return new Operation(text, flag, selection.Pages);
        }));

    /// <summary>The selection below a resource of <paramref name="type"/>: its scalars and, below depth 3, a random subset of its navigations.</summary>
    private static Gen<(string Text, bool Pages)> Selection(string type, int depth)
    {
        Gen<(string Text, bool Pages)> selection = Gen.Const((Scalars[type], false));
        if (depth >= 3)
        {
            return selection;
        }

        foreach (var ((owner, field), navigation) in Navigations.All.Where(n => n.Key.Type == type && Scalars.ContainsKey(n.Value.ItemType)))
        {
            var child = Selection(navigation.ItemType, depth + 1);
            var rendered = Gen.Select(Gen.Int[0, 9], child, Gen.Int[0, 3], Gen.Int[0, 4], Gen.Int[0, 2], Gen.Bool)
                .Select((shape, below, directive, paging, wrap, filtered) => shape < 4 ? (string.Empty, false)
                    : Render(owner, field, navigation, below, shape, directive, paging, wrap, filtered));
            selection = selection.Select(rendered, (a, b) => (a.Text + " " + b.Item1, a.Pages || b.Item2));
        }

        return selection;
    }

    /// <summary>A filter of each list type's own arguments, which no include can express: the list plans its own search.</summary>
    private static readonly Dictionary<string, string> Filters = new()
    {
        ["Schedule"] = "active: true",
        ["Slot"] = "where: { start: { gte: \"2031-03-03T09:30:00Z\" } }",
        ["Appointment"] = "where: { status: [BOOKED] }",
    };

    private static (string, bool) Render(
        string owner, string field, Navigation navigation, (string Text, bool Pages) below, int shape, int directive, int paging, int wrap, bool filtered)
    {
        var text = new StringBuilder();
        if (shape >= 8)
        {
            text.Append(CultureInfo.InvariantCulture, $"x{shape}{field}: ");
        }

        text.Append(field);
        var pages = below.Pages;
        if (navigation.Reverse)
        {
            var arguments = paging switch
            {
                1 => "first: 1",
                2 => "first: 2",
                3 => $"first: 2, after: \"{Paging.EncodeCursor(0)}\"",
                _ => string.Empty,
            };
            pages |= arguments.Length > 0;
            if (filtered)
            {
                arguments = string.Join(", ", new[] { Filters[navigation.ItemType], arguments }.Where(a => a.Length > 0));
            }

            text.Append(arguments.Length > 0 ? $"({arguments})" : string.Empty);
        }

        text.Append(directive switch
        {
            1 => " @skip(if: $t)",
            2 => " @include(if: $t)",
            _ => string.Empty,
        });
        var inner = navigation.Reverse
            ? (shape % 2 == 0 ? $"totalCount nodes {{ {below.Text} }}" : $"edges {{ cursor node {{ {below.Text} }} }}")
            : below.Text;
        text.Append(CultureInfo.InvariantCulture, $" {{ {inner} }}");
        var rendered = wrap == 1 ? $"... on {owner} {{ {text} }}" : text.ToString();
        return (rendered, pages);
    }
}
