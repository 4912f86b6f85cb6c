using CsCheck;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// The embedded store's <c>_include</c>, <c>_revinclude</c> and <c>:iterate</c> (FHIR R4 search §3.1.1.5.4): what
/// the query planner sends upstream, answered the same way in memory. No peer.
/// </summary>
public sealed class InMemoryIncludeTests
{
    [Fact]
    public async Task A_week_view_search_brings_the_slots_their_appointments_and_the_appointments_actors_and_nothing_else()
    {
        var store = World();
        var page = await store.SearchAsync(FhirQuery.For<Schedule>().Where("_id", "s1")
            .Include(new FhirInclude(true, "Slot", "schedule"))
            .Include(new FhirInclude(true, "Appointment", "slot", Iterate: true))
            .Include(new FhirInclude(false, "Appointment", "actor", Iterate: true)), CancellationToken.None);

        Assert.Equal(["Schedule/s1"], Names(page.Resources));
        Assert.Equal(["Appointment/x", "Patient/p1", "Practitioner/d1", "Slot/a", "Slot/b"], Names(page.Included).Order());
    }

    [Fact]
    public async Task Without_iterate_an_include_applies_to_the_matches_only()
    {
        var store = World();
        var page = await store.SearchAsync(FhirQuery.For<Schedule>().Where("_id", "s1")
            .Include(new FhirInclude(true, "Slot", "schedule"))
            .Include(new FhirInclude(true, "Appointment", "slot")), CancellationToken.None);

        Assert.Equal(["Slot/a", "Slot/b"], Names(page.Included).Order());
    }

    [Fact]
    public async Task A_target_type_narrows_an_include_and_a_match_is_never_also_included()
    {
        var store = World();
        var practitioners = await store.SearchAsync(FhirQuery.For<Appointment>().Where("_id", "x")
            .Include(new FhirInclude(false, "Appointment", "actor", "Practitioner")), CancellationToken.None);
        Assert.Equal(["Practitioner/d1"], Names(practitioners.Included));

        var slots = await store.SearchAsync(FhirQuery.For<Slot>().Where("schedule", "Schedule/s1")
            .Include(new FhirInclude(true, "Appointment", "slot"))
            .Include(new FhirInclude(false, "Appointment", "slot", Iterate: true)), CancellationToken.None);
        Assert.Equal(["Slot/a", "Slot/b"], Names(slots.Resources).Order());
        Assert.Equal(["Appointment/x"], Names(slots.Included));
    }

    [Fact]
    public async Task An_include_on_a_parameter_that_is_not_a_reference_is_rejected() =>
        await Assert.ThrowsAsync<FhirRequestRejectedException>(async () =>
            await World().SearchAsync(FhirQuery.For<Appointment>().WhereRaw("_include", "Appointment:date"), CancellationToken.None));

    [Fact]
    public async Task Includes_ride_only_on_the_page_and_a_page_short_of_the_total_says_there_is_more()
    {
        var store = World();
        var page = await store.SearchAsync(FhirQuery.For<Slot>().SortBy([("_id", false)]).Count(1)
            .Include(new FhirInclude(true, "Appointment", "slot")), CancellationToken.None);
        Assert.Equal(["Slot/a"], Names(page.Resources));
        Assert.Equal(["Appointment/x"], Names(page.Included));
        Assert.True(page.HasMore);
    }

    /// <summary>
    /// For any slots and appointments, a slot search with <c>_revinclude=Appointment:slot</c> brings exactly what
    /// the DataLoader's batched <c>Appointment?slot=a,b,…</c> finds, and <c>_include:iterate=Appointment:patient</c>
    /// exactly the patients those appointments name.
    /// </summary>
    [Fact]
    public void A_reverse_include_brings_what_the_batched_reverse_search_finds() =>
        Gen.Select(Gen.Int[1, 3], Gen.Int[0, 5], Gen.Select(Gen.Int[0, 5].Array[1, 3], Gen.Int[0, 2]).Array[0, 8])
            .Sample((schedules, slotCount, appointments) =>
            {
                var store = new InMemoryFhirStore();
                var slotIds = Enumerable.Range(0, slotCount).Select(i => $"slot{i}").ToList();
                Create(store, Enumerable.Range(0, slotCount).Select(i => new Slot
                {
                    Id = slotIds[i], Schedule = new ResourceReference($"Schedule/s{i % schedules}"),
                }));
                Create(store, Enumerable.Range(0, 3).Select(i => new Patient { Id = $"p{i}" }));
                Create(store, appointments.Select((a, i) => new Appointment
                {
                    Id = $"ap{i}",
                    Slot = [.. a.Item1.Distinct().Select(s => new ResourceReference($"Slot/slot{s}"))],
                    Participant = [new Appointment.ParticipantComponent { Actor = new ResourceReference($"Patient/p{a.Item2}") }],
                }));

                var query = FhirQuery.For<Slot>().Where("schedule", "Schedule/s0");
                var page = store.SearchAsync(query.Clone()
                    .Include(new FhirInclude(true, "Appointment", "slot"))
                    .Include(new FhirInclude(false, "Appointment", "patient", Iterate: true)), CancellationToken.None).Result;
                var slots = store.SearchAllAsync(query, CancellationToken.None).Result;
                var expected = slots.Count == 0 ? [] : store.SearchAllAsync(FhirQuery.For<Appointment>()
                    .WhereAny("slot", slots.Select(s => "Slot/" + s.Id)), CancellationToken.None).Result;
                var patients = expected.OfType<Appointment>().SelectMany(a => a.Participant).Select(p => p.Actor!.Reference!).Distinct();

                Assert.Equal(Names(slots).Order(), Names(page.Resources).Order());
                Assert.Equal(Names(expected).Concat(patients).Order(), Names(page.Included).Order());
            });

    private static void Create(InMemoryFhirStore store, IEnumerable<Resource> resources)
    {
        foreach (var resource in resources)
        {
            store.CreateAsync(resource, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    private static IEnumerable<string> Names(IEnumerable<Resource> resources) => resources.Select(r => r.TypeName + "/" + r.Id);

    /// <summary>Schedules s1 (slots a, b) and s2 (slot c); appointment x on a (p1, d1), y on c (p2, d1).</summary>
    private static InMemoryFhirStore World()
    {
        var store = new InMemoryFhirStore();
        Create(store, [
            new Schedule { Id = "s1" }, new Schedule { Id = "s2" },
            new Slot { Id = "a", Schedule = new ResourceReference("Schedule/s1") },
            new Slot { Id = "b", Schedule = new ResourceReference("Schedule/s1") },
            new Slot { Id = "c", Schedule = new ResourceReference("Schedule/s2") },
            new Patient { Id = "p1" }, new Patient { Id = "p2" }, new Practitioner { Id = "d1" },
            Appointment("x", "a", "p1"), Appointment("y", "c", "p2"),
        ]);
        return store;
    }

    private static Appointment Appointment(string id, string slot, string patient) => new()
    {
        Id = id,
        Slot = [new ResourceReference("Slot/" + slot)],
        Participant =
        [
            new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + patient) },
            new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/d1") },
        ],
    };
}
