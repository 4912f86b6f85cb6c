using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;

namespace Scheduling.Tests.Planning;

/// <summary>
/// Review 12 probes of the by-id root's reverse-list prefetch (ChildListPrefetch): duplicate searches for keys built
/// from defaults, enums, @include, nested includes and aliases; nothing sent for a skipped field or a mutation; a
/// failing prefetch degrades its field only; callers who do not see everything send nothing of another patient.
/// </summary>
public sealed class PrefetchAttackTests : IAsyncLifetime
{
    private InMemoryFhirStore _store = null!;
    private FailingStore _on = null!;
    private FailingStore _off = null!;
    private GatewayServer _planned = null!;
    private GatewayServer _unplanned = null!;

    public async Task InitializeAsync()
    {
        _store = await PlannerWorld.CreateAsync();
        _on = new FailingStore(_store);
        _off = new FailingStore(_store);
        _planned = await StartAsync("On", _on);
        _unplanned = await StartAsync("Off", _off);
    }

    public async Task DisposeAsync()
    {
        await _planned.DisposeAsync();
        await _unplanned.DisposeAsync();
    }

    public static IEnumerable<object[]> Shapes() => new[]
    {
        // Nested selection the planner includes below the list.
        new object[] { "nested", "query { patient(id: \"pa0\") { id appointments { nodes { id practitioners { id name { family } } patients { id } locations { name } slots { id } } } } }", "{}" },
        // Variable default (not supplied), enum list.
        new object[] { "default", "query($st: [AppointmentStatus!] = [BOOKED]) { patient(id: \"pa1\") { id appointments(where: { status: $st }) { totalCount nodes { id } } } }", "{}" },
        // Null variable for a nullable argument.
        new object[] { "nullvar", "query($st: [AppointmentStatus!]) { patient(id: \"pa1\") { id appointments(where: { status: $st }) { totalCount nodes { id } } } }", "{\"st\": null}" },
        // @include true on the list.
        new object[] { "include-true", "query($x: Boolean!) { patient(id: \"pa1\") { id appointments @include(if: $x) { nodes { id } } } }", "{\"x\": true}" },
        // Two aliases, same arguments (one key) and one with other arguments, with an inline fragment.
        new object[] { "aliases", "query { patient(id: \"pa1\") { id a: appointments(first: 2) { nodes { id } } b: appointments(first: 2) { nodes { id } } ... on Patient { c: appointments(where: { status: [CANCELLED] }) { nodes { id } } } } }", "{}" },
        // The same response name twice (merged) with a nested list below.
        new object[] { "merged", "query { patient(id: \"pa0\") { appointments { nodes { id } } appointments { nodes { slots { id appointments { nodes { id } } } } } } }", "{}" },
        // node(id:) of a practitioner with two kinds of lists.
        new object[] { "node-practitioner", "query { node(id: \"Practitioner/p1\") { ... on Practitioner { schedules { nodes { id slots { nodes { id } } } } appointments(first: 1) { nodes { id } } } } }", "{}" },
        // node(id:) of a schedule, slots then their appointments.
        new object[] { "node-schedule", "query { node(id: \"Schedule/s1\") { ... on Schedule { slots { nodes { id appointments { nodes { id patients { id } } } } } } } }", "{}" },
        // Two roots of the same owner, one by id and one by node.
        new object[] { "two-roots", "query { x: patient(id: \"pa0\") { appointments { nodes { id } } } y: node(id: \"Patient/pa0\") { ... on Patient { appointments { nodes { id } } } } }", "{}" },
    };

    /// <summary>With the prefetch, the planned gateway never sends a search twice, and answers as the unplanned one.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Prefetch_sends_no_search_twice_and_answers_as_unplanned(string name, string query, string variables)
    {
        var vars = JsonNode.Parse(variables)!.AsObject();
        _on.Clear();
        var answer = await _planned.QueryAsync(query, vars, TestTokens.Scheduler());
        var sent = _on.Searches.Select(s => s.Query.ToString()).ToList();
        _off.Clear();
        var expected = await _unplanned.QueryAsync(query, JsonNode.Parse(variables)!.AsObject(), TestTokens.Scheduler());
        var levelByLevel = _off.Searches.Select(s => Stripped(s.Query.ToString())).ToHashSet();
        var foreign = sent.Where(s => !levelByLevel.Contains(Stripped(s))).ToList();
        Assert.True(foreign.Count == 0, $"{name}: searches level by level never sends (a prefetch key that drifted): {string.Join(" | ", foreign)}\n level by level: {string.Join(" | ", levelByLevel)}");
        Assert.True(expected["errors"] is null, name + ": " + expected.ToJsonString());
        Assert.Equal(expected.ToJsonString(), answer.ToJsonString());
        var twice = sent.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{name}: sent twice: {string.Join(" | ", twice)}\n all: {string.Join(" | ", sent)}");

        // Same list key with and without includes = the prefetch's key drifted from the field's plan.
        var lists = sent.Where(s => s.StartsWith("Appointment?", StringComparison.Ordinal) || s.StartsWith("Slot?", StringComparison.Ordinal) || s.StartsWith("Schedule?", StringComparison.Ordinal))
            .Select(s => string.Join('&', s.Split('?', 2)[^1].Split('&').Where(p => !p.StartsWith("_include", StringComparison.Ordinal) && !p.StartsWith("_revinclude", StringComparison.Ordinal)).Order(StringComparer.Ordinal)))
            .GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(lists.Count == 0, $"{name}: one list searched twice (with other includes): {string.Join(" | ", lists)}\n all: {string.Join(" | ", sent)}");
    }

    /// <summary>A search without its includes, count and sort: the list it asks.</summary>
    private static string Stripped(string search) => search.Split('?', 2)[0] + "?" + string.Join('&', search.Split('?', 2)[^1].Split('&')
        .Where(p => !p.StartsWith("_include", StringComparison.Ordinal) && !p.StartsWith("_revinclude", StringComparison.Ordinal) && !p.StartsWith("_count", StringComparison.Ordinal) && !p.StartsWith("_sort", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal));

    [Fact]
    public async Task A_skipped_list_sends_no_search()
    {
        foreach (var query in new[]
        {
            "query($x: Boolean!) { patient(id: \"nobody\") { id appointments @include(if: $x) { nodes { id } } } }",
            "query($x: Boolean!) { patient(id: \"nobody\") { id appointments @skip(if: true) { nodes { id } } ... @include(if: $x) { other: appointments(first: 1) { nodes { id } } } } }",
            "query($x: Boolean!) { node(id: \"Patient/nobody\") { ... on Patient @include(if: $x) { appointments { nodes { id } } } } }",
            "query($x: Boolean!) { node(id: \"Patient/nobody\") { ... on Practitioner @skip(if: $x) { appointments { nodes { id } } } } }",
        })
        {
            _on.Clear();
            var answer = await _planned.QueryAsync(query, new { x = false }, TestTokens.Scheduler());
            Assert.True(answer["errors"] is null, answer.ToJsonString());
            Assert.True(!_on.Searches.Any(s => s.Query.ResourceType == "Appointment"),
                $"{query}: {string.Join(" | ", _on.Searches.Select(s => s.Query))}");
        }
    }

    /// <summary>The prefetched search fails (FHIR 500): the root still answers, the list alone errs with a typed code.</summary>
    [Fact]
    public async Task A_failing_prefetch_degrades_its_field_only()
    {
        _on.FailAppointmentSearches = true;
        _off.FailAppointmentSearches = true;
        try
        {
            // Filtered: the root's planned search cannot cover it, so the prefetch asks it (an unfiltered list rides on _revinclude).
            const string Query = "query { patient(id: \"pa0\") { id name { family } appointments(where: { status: [BOOKED] }) { nodes { id } } } practitioner(id: \"p0\") { id } }";
            var answer = await _planned.QueryAsync(Query, null, TestTokens.Scheduler());
            var expected = await _unplanned.QueryAsync(Query, null, TestTokens.Scheduler());
            // appointments is non-null: its error nulls the patient (as level by level); the other root answers.
            Assert.True(answer.At("data.practitioner.id") is not null, $"planned: {answer.ToJsonString()}\n unplanned: {expected.ToJsonString()}");
            Assert.True(answer["errors"] is JsonArray, $"no error: planned: {answer.ToJsonString()}\n unplanned: {expected.ToJsonString()}\n sent: {string.Join(" | ", _on.Searches.Select(s => s.Query))}");
            var errors = answer["errors"]!.AsArray();
            Assert.All(errors, e => Assert.Equal("patient.appointments", string.Join('.', e!["path"]!.AsArray().Select(p => p!.ToString()))));
            Assert.All(errors, e => Assert.NotNull(e!.At("extensions.code")));
            Assert.Equal(expected.ToJsonString(), answer.ToJsonString());

            // The owner is missing: the failed prefetch is never served, and nothing errs.
            var missing = await _planned.QueryAsync("query { patient(id: \"nobody\") { id appointments { nodes { id } } } }", null, TestTokens.Scheduler());
            Assert.True(missing["errors"] is null, missing.ToJsonString());
            Assert.Null(missing.At("data.patient"));
        }
        finally
        {
            _on.FailAppointmentSearches = false;
            _off.FailAppointmentSearches = false;
        }
    }

    /// <summary>
    /// A patient (or practitioner) token asking for another patient's records by every by-id shape: no search the
    /// gateway sends brings that patient's appointments or the patient (planner on), and it answers as planner off.
    /// </summary>
    [Fact]
    public async Task A_patient_token_sends_no_search_that_brings_another_patients_records()
    {
        var token = TestTokens.Patient("pa0");
        // pa2's own appointments (not pa0's group a7: its include of Patient/pa2 is by design, the policy filters what leaves).
        var theirs = new[] { new FhirReference("Appointment", "a3"), new FhirReference("Appointment", "a6") };
        foreach (var query in new[]
        {
            "query { patient(id: \"pa2\") { id appointments { nodes { id patients { id } } } } }",
            "query { node(id: \"Patient/pa2\") { id ... on Patient { appointments { nodes { id } } } } }",
            "query { schedule(id: \"s1\") { slots { nodes { id appointments { nodes { id patients { id } patient { id } } } } } } }",
            "query { slot(id: \"s1-1\") { id appointments { nodes { id patients { id } } } } }",
            "query { node(id: \"Slot/s1-2\") { ... on Slot { appointments { nodes { id } } } } }",
            "query { practitioner(id: \"p1\") { id appointments { nodes { id patients { id } } } schedules { nodes { slots { nodes { appointments { nodes { id } } } } } } } }",
        })
        {
            _on.Clear();
            var answer = await _planned.QueryAsync(query, null, token);
            var sent = _on.Searches;
            _off.Clear();
            var expected = await _unplanned.QueryAsync(query, null, token);
            Assert.Equal(expected.ToJsonString(), answer.ToJsonString());
            var brought = PlannerWorld.Brought(sent);
            Assert.True(!theirs.Any(brought.Contains),
                $"{query}\n brought {string.Join(", ", theirs.Where(brought.Contains))} by: {string.Join(" | ", sent.Where(s => s.Brought.Any(theirs.Contains)).Select(s => s.Query))}");
        }
    }

    private Task<GatewayServer> StartAsync(string includes, FailingStore recorder)
    {
        var settings = TestTokens.GatewaySettings();
        settings["Fhir:Includes"] = includes;
        settings["Fhir:Seed"] = "false";
        settings["Cache:Enabled"] = "false";
        settings["Booking:HoldSweepSeconds"] = "3600";
        return GatewayServer.StartAsync(settings, s =>
        {
            s.AddSingleton(_store);
            s.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (_, _) => recorder);
        });
    }

    /// <summary>Records each search (as RecordingFhirStore) and fails Appointment searches with a 500 when asked to.</summary>
    private sealed class FailingStore(IFhirStore inner) : DelegatingFhirStore(inner)
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<RecordedSearch> _searches = new();

        public volatile bool FailAppointmentSearches;

        public IReadOnlyList<RecordedSearch> Searches => [.. _searches];

        public void Clear() => _searches.Clear();

        public override async Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken)
        {
            Fail(query);
            var page = await Inner.SearchAsync(query, cancellationToken);
            _searches.Enqueue(new RecordedSearch(query.Clone(), [.. page.Resources.Concat(page.Included).Select(r => new FhirReference(r.TypeName, r.Id!))]));
            return page;
        }

        public override async Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
        {
            Fail(query);
            var all = await Inner.SearchAllAsync(query, cancellationToken);
            _searches.Enqueue(new RecordedSearch(query.Clone(), [.. all.Select(r => new FhirReference(r.TypeName, r.Id!))]));
            return all;
        }

        private void Fail(FhirQuery query)
        {
            if (FailAppointmentSearches && query.ResourceType == "Appointment")
            {
                _searches.Enqueue(new RecordedSearch(query.Clone(), []));
                throw new FhirUnavailableException("probe: 500") { Status = System.Net.HttpStatusCode.InternalServerError };
            }
        }
    }
}
