using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Caching;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Planning;
using Scheduling.Testing;
using Scheduling.Tests.Security;

namespace Scheduling.Tests.Planning;

/// <summary>
/// What the planner must keep as the DataLoaders keep it, on the embedded store: authorization (a walk over every
/// chain of planned navigations from every root field, as a patient), the shared cache (the same entries as loads
/// make), and complete answers when a server cuts includes short.
/// </summary>
public sealed class PlannerSafetyTests
{
    private const string PatientFields = "id displayName name { family given } birthDate telecom { value }";

    private static readonly Dictionary<string, string> Scalars = new()
    {
        ["Schedule"] = "id active comment",
        ["Slot"] = "id start status comment",
        ["Appointment"] = "id status description participants { actor { __typename ... on Patient { " + PatientFields + " } } }",
        ["Patient"] = PatientFields,
        ["Practitioner"] = "id displayName",
        ["Location"] = "id name",
    };

    /// <summary>Every chain of up to three navigations from <paramref name="type"/>, rendered as a selection below it.</summary>
    private static IEnumerable<string> Chains(string type, int length)
    {
        yield return Scalars[type];
        if (length == 0)
        {
            yield break;
        }

        foreach (var ((_, field), navigation) in Navigations.All.Where(n => n.Key.Type == type && Scalars.ContainsKey(n.Value.ItemType)))
        {
            foreach (var below in Chains(navigation.ItemType, length - 1))
            {
                yield return Scalars[type] + " " + field + (navigation.Reverse ? $" {{ totalCount nodes {{ {below} }} }}" : $" {{ {below} }}");
            }
        }
    }

    [Fact]
    public async Task A_patient_receives_nothing_of_another_patient_through_any_chain_of_planned_navigations_from_any_root()
    {
        var store = new InMemoryFhirStore();
        var recorder = new RecordingFhirStore(store);
        await using var on = await StartAsync(store, "On", recorder, TestTokens.Settings);
        await using var off = await StartAsync(store, "Off", new RecordingFhirStore(store), TestTokens.Settings);
        var practice = await ExposurePractice.CreateAsync(store, on);
        var token = TestTokens.Patient(practice.Me.Id!);
        var roots = new (string Type, string Field, bool List)[]
        {
            ("Appointment", "appointments", true), ("Slot", "slots", true), ("Schedule", "schedules", true), ("Patient", "patients", true),
            ("Schedule", $"schedule(id: \"{practice.PatientSchedule.Id}\")", false), ("Schedule", $"schedule(id: \"{practice.A.Schedule.Id}\")", false),
            ("Patient", $"patient(id: \"{practice.Me.Id}\")", false), ("Practitioner", $"practitioner(id: \"{practice.A.Practitioner.Id}\")", false),
        };

        var walked = 0;
        recorder.Clear();
        foreach (var (type, field, list) in roots)
        {
            foreach (var chain in Chains(type, 3))
            {
                var query = $"query {{ {field} {{ {(list ? $"nodes {{ {chain} }}" : chain)} }} }}";
                var planned = await on.QueryAsync(query, null, token);
                var unplanned = await off.QueryAsync(query, null, token);
                Assert.True(practice.LeaksIn(planned, string.Empty).Count == 0, query + "\n" + string.Join(", ", practice.LeaksIn(planned, string.Empty)));
                Assert.Equal(unplanned.ToJsonString(), planned.ToJsonString());
                walked++;
            }
        }

        Assert.True(walked > 50, $"{walked} chains");
        Assert.Contains(recorder.Searches, s => s.HasIncludes);
    }

    [Fact]
    public async Task What_a_planned_search_brings_is_cached_as_the_loads_it_replaces_would_have_cached_it()
    {
        var store = await PlannerWorld.CreateAsync();
        const string weekView = """
            query { schedule(id: "s0") { id slots { nodes { id appointments { nodes { id patient { displayName } practitioners { displayName } location { name } } } } } } }
            """;
        var cached = new Dictionary<string, string[]>();
        foreach (var includes in new[] { "On", "Off" })
        {
            var recorder = new RecordingFhirStore(store);
            await using var gateway = await StartAsync(store, includes, recorder, [], cache: true);
            var answer = await gateway.QueryAsync(weekView);
            Assert.Null(answer["errors"]);
            // Planned: one search with includes; the first-of fields (patient, location) are loaded by id.
            Assert.True(includes == "On" ? recorder.Searches.Count(s => s.HasIncludes) == 1 : recorder.Searches.Count > 1, $"{includes}: {recorder.Searches.Count} searches");

            var cache = gateway.Services.GetRequiredService<FhirResourceCache>();
            var found = new List<string>();
            foreach (var reference in new[] { "Schedule/s0", "Schedule/s1", "Slot/s0-0", "Appointment/a0", "Location/l0" }
                         .Concat(PlannerWorld.Patients.Select(p => "Patient/" + p)).Concat(PlannerWorld.Practitioners.Select(p => "Practitioner/" + p)))
            {
                var parts = reference.Split('/');
                if (await cache.GetAsync(new FhirReference(parts[0], parts[1]), CancellationToken.None) is { } resource)
                {
                    Assert.Equal(reference, resource.TypeName + "/" + resource.Id);
                    found.Add(reference);
                }
            }

            cached[includes] = [.. found];
        }

        Assert.Contains("Patient/pa0", cached["Off"]);
        Assert.Equal(cached["Off"], cached["On"]);
    }

    /// <summary>A server that cuts a page's includes short: with a warning, or by counting them against <c>_count</c> and linking a next page.</summary>
    public static TheoryData<string> Cuts => new() { "warning", "split page" };

    [Theory]
    [MemberData(nameof(Cuts))]
    public async Task Includes_cut_short_leave_the_lists_to_the_DataLoaders_and_the_answer_complete(string cut)
    {
        var store = await PlannerWorld.CreateAsync();
        var recorder = new RecordingFhirStore(store)
        {
            Shape = (query, page) => cut == "warning"
                ? page with { Included = [.. page.Included.Take(page.Included.Count / 2)], HasWarnings = true }
                : page with { Resources = [.. page.Resources.Take(1)], Included = [.. page.Included.Take(1)], HasMore = true },
        };
        await using var on = await StartAsync(store, "On", recorder, []);
        await using var off = await StartAsync(store, "Off", new RecordingFhirStore(store), []);
        string[] queries =
        [
            """query { schedule(id: "s0") { slots { totalCount nodes { id appointments { totalCount nodes { id patient { id } practitioners { id } } } } } } }""",
            """query { appointments(first: 3) { totalCount pageInfo { hasNextPage } nodes { id slots { id } practitioners { id } patient { appointments { totalCount } } } } }""",
            """query { patients(first: 2) { pageInfo { hasNextPage } nodes { id appointments { nodes { id status } } } } }""",
        ];
        foreach (var query in queries)
        {
            recorder.Clear();
            var planned = await on.QueryAsync(query);
            var unplanned = await off.QueryAsync(query);
            Assert.Null(unplanned["errors"]);
            Assert.Equal(unplanned.ToJsonString(), planned.ToJsonString());
            // The gateway's hold sweep may land in between (a search tagged "hold"): not the query's.
            var searches = recorder.Searches.Where(s => s.Query.Get("_tag") is null).ToList();
            Assert.True(searches[0].HasIncludes, query);
            Assert.True(searches.Count > 1, $"{query}: the planner did not step back");
        }
    }

    private static Task<GatewayServer> StartAsync(InMemoryFhirStore store, string includes, RecordingFhirStore recorder, (string Key, string Value)[] settings, bool cache = false)
    {
        var all = new Dictionary<string, string?> { ["Fhir:Includes"] = includes, ["Fhir:Seed"] = "false", ["Cache:Enabled"] = cache ? "true" : "false" };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return GatewayServer.StartAsync(all, s =>
        {
            s.AddSingleton(store);
            recorder.Register(s);
        });
    }
}
