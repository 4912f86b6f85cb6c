using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Planning;
using Scheduling.Testing;

namespace Scheduling.Tests.Planning;

/// <summary>
/// A by-id root's lists of what points at it are asked with the root's read, under the key their fields ask: walked
/// over every reverse navigation of the table, below both by-id roots (<c>patient(id:)</c>... and <c>node(id:)</c>), with
/// filter arguments from variables and literals, aliases and a named fragment, on <see cref="PlannerWorld"/>. For an
/// owner that does not exist, the lists' searches go out all the same (the prefetch: nothing else could ask them, the
/// root answers nothing and its fields never run); for one that does, the gateway sends exactly the searches it sends
/// with the planner off, and answers the same: each field found its prefetched key (a field whose key drifted from
/// the prefetch's would search again). A caller who does not see everything keeps the order of today: nothing goes
/// out before the owner resolves.
/// </summary>
public sealed class ChildListPrefetchTests : IAsyncLifetime
{
    /// <summary>Per item type: variable definitions, the first list's arguments (from variables), the second's (literals), the variables.</summary>
    private static readonly Dictionary<string, (string Definitions, string First, string Second, Dictionary<string, object?> Variables)> Arguments = new()
    {
        ["Appointment"] = ("$status: [AppointmentStatus!]", "(where: { status: $status }, order: [{ start: DESC }], first: 3)",
            "(where: { status: [CANCELLED, BOOKED] })", new() { ["status"] = new[] { "BOOKED" } }),
        ["Slot"] = ("$from: DateTime", "(where: { start: { gte: $from } }, first: 3)",
            "(where: { status: [BUSY] }, order: [{ start: DESC }])", new() { ["from"] = "2031-03-03T09:15:00Z" }),
        ["Schedule"] = ("$active: Boolean", "(active: $active, first: 3)", "(serviceType: \"none\")", new() { ["active"] = true }),
    };

    private InMemoryFhirStore _store = null!;
    private RecordingFhirStore _on = null!;
    private RecordingFhirStore _off = null!;
    private GatewayServer _planned = null!;
    private GatewayServer _unplanned = null!;

    public async Task InitializeAsync()
    {
        _store = await PlannerWorld.CreateAsync();
        _on = new RecordingFhirStore(_store);
        _off = new RecordingFhirStore(_store);
        _planned = await StartAsync("On", _on);
        _unplanned = await StartAsync("Off", _off);
    }

    public async Task DisposeAsync()
    {
        await _planned.DisposeAsync();
        await _unplanned.DisposeAsync();
    }

    /// <summary>Every reverse navigation of the table whose owner has a by-id root field, and the two root forms.</summary>
    public static IEnumerable<object[]> ReverseLists() =>
        from entry in Navigations.All
        where entry.Value.Reverse && Arguments.ContainsKey(entry.Value.ItemType)
        from byNode in new[] { false, true }
        select new object[] { entry.Key.Type, entry.Key.Field, byNode };

    [Theory]
    [MemberData(nameof(ReverseLists))]
    public async Task A_list_below_a_by_id_root_is_asked_with_the_root_and_found_by_its_field(string owner, string field, bool byNode)
    {
        var navigation = Navigations.Of(owner, field)!;
        var owners = await _store.SearchAllAsync(new FhirQuery(owner), CancellationToken.None);
        Assert.NotEmpty(owners);
        var token = TestTokens.Scheduler();

        // No such owner: the lists' searches went out with the root's read (two keys: two searches), and nothing is served.
        var (missing, sent) = await AskAsync(_planned, _on, owner, field, byNode, "nobody", token);
        Assert.True(missing["errors"] is null, missing.ToJsonString());
        Assert.Null(missing.At(byNode ? "data.node" : "data.root"));
        Assert.True(sent.Count(s => Lists(s, navigation)) == 2,
            $"{Describe(owner, field, byNode)} of a missing owner: expected its two lists asked with the root, sent: {string.Join(" | ", sent.Select(s => s.Query))}");
        var (_, sentUnplanned) = await AskAsync(_unplanned, _off, owner, field, byNode, "nobody", token);
        Assert.DoesNotContain(sentUnplanned, s => Lists(s, navigation));

        foreach (var resource in owners)
        {
            var (answer, searches) = await AskAsync(_planned, _on, owner, field, byNode, resource.Id!, token);
            var (expected, unplanned) = await AskAsync(_unplanned, _off, owner, field, byNode, resource.Id!, token);
            Assert.True(expected["errors"] is null, expected.ToJsonString());
            Assert.Equal(expected.ToJsonString(), answer.ToJsonString());
            Assert.True(
                unplanned.Select(s => s.Query.ToString()).Order().SequenceEqual(searches.Select(s => s.Query.ToString()).Order()),
                $"{Describe(owner, field, byNode)} of {owner}/{resource.Id}: a field's key is not the prefetch's (a search went out twice, or another way)." +
                $"\n  prefetched: {string.Join(" | ", searches.Select(s => s.Query))}\n  level by level: {string.Join(" | ", unplanned.Select(s => s.Query))}");
        }
    }

    [Fact]
    public async Task A_caller_who_does_not_see_everything_sends_no_list_before_its_owner_resolves()
    {
        foreach (var (owner, field, token) in new[]
        {
            ("Patient", "appointments", TestTokens.Patient("nobody")),
            ("Practitioner", "appointments", TestTokens.Practitioner("nobody")),
            ("Practitioner", "schedules", TestTokens.Practitioner("nobody")),
            ("Schedule", "slots", TestTokens.Patient("pa0")),
            ("Slot", "appointments", TestTokens.Patient("pa0")),
        })
        {
            foreach (var byNode in new[] { false, true })
            {
                // The owner does not exist: its fields never run, so any search of its items would be a prefetch.
                var (_, sent) = await AskAsync(_planned, _on, owner, field, byNode, "nobody", token);
                Assert.True(!sent.Any(s => Lists(s, Navigations.Of(owner, field)!)),
                    $"{Describe(owner, field, byNode)} as a {token[..8]}… caller: {string.Join(" | ", sent.Select(s => s.Query))}");
            }
        }

        // Their own patient's appointments answer as level by level, with the same searches.
        var patient = TestTokens.Patient("pa1");
        foreach (var byNode in new[] { false, true })
        {
            var (answer, searches) = await AskAsync(_planned, _on, "Patient", "appointments", byNode, "pa1", patient);
            var (expected, unplanned) = await AskAsync(_unplanned, _off, "Patient", "appointments", byNode, "pa1", patient);
            Assert.True(expected["errors"] is null, expected.ToJsonString());
            Assert.Equal(expected.ToJsonString(), answer.ToJsonString());
            Assert.Equal(unplanned.Select(s => s.Query.ToString()).Order(), searches.Select(s => s.Query.ToString()).Order());
        }
    }

    /// <summary>The owner by id (or as a node) with two lists of the field: one filtered by variables, one by literals, aliased, in a fragment.</summary>
    private static async Task<(JsonObject Answer, IReadOnlyList<RecordedSearch> Sent)> AskAsync(
        GatewayServer gateway, RecordingFhirStore recorder, string owner, string field, bool byNode, string id, string token)
    {
        var (definitions, first, second, variables) = Arguments[Navigations.Of(owner, field)!.ItemType];
        var root = char.ToLowerInvariant(owner[0]) + owner[1..];
        var query = $$"""
            query($id: ID!, {{definitions}}) {
              {{(byNode ? $"node(id: $id) {{ id ... on {owner} {{ ...Lists }} }}" : $"root: {root}(id: $id) {{ id ...Lists }}")}}
            }
            fragment Lists on {{owner}} {
              {{field}}{{first}} { totalCount nodes { id } }
              again: {{field}}{{second}} { totalCount edges { cursor node { id } } }
            }
            """;
        var all = new Dictionary<string, object?>(variables) { ["id"] = byNode ? $"{owner}/{id}" : id };
        recorder.Clear();
        var answer = await gateway.QueryAsync(query, all, token);
        return (answer, recorder.Searches);
    }

    /// <summary>Whether the search is one of the navigation's lists (its items, by its parameter).</summary>
    private static bool Lists(RecordedSearch search, Navigation navigation) =>
        search.Query.ResourceType == navigation.ItemType && search.Query.Get(navigation.Parameter) is not null;

    private static string Describe(string owner, string field, bool byNode) => $"{owner}.{field} below {(byNode ? "node(id:)" : "its by-id root")}";

    private Task<GatewayServer> StartAsync(string includes, RecordingFhirStore recorder)
    {
        var settings = TestTokens.GatewaySettings();
        settings["Fhir:Includes"] = includes;
        settings["Fhir:Seed"] = "false";
        settings["Cache:Enabled"] = "false";
        settings["Booking:HoldSweepSeconds"] = "3600";
        return GatewayServer.StartAsync(settings, s =>
        {
            s.AddSingleton(_store);
            recorder.Register(s);
        });
    }
}
