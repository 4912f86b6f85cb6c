using System.Text;
using CsCheck;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Fhir.Reading;
using Xunit.Abstractions;

namespace Scheduling.Tests.Fhir.Reading;

/// <summary>
/// <see cref="FhirJsonReader"/> makes what Firely's deserializer makes, or leaves the body to it: on generated resources
/// of every R4 type (as Firely writes them, and with random changes to their JSON), on Bundles of mixed entries, and on
/// the gateway's own answers, which it must read itself (no fallback).
/// </summary>
public sealed class FhirJsonReaderTests(ITestOutputHelper output)
{
    [Fact]
    public void Reads_every_R4_resource_type_as_Firely_writes_it_itself_and_equal_to_Firely()
    {
        var (cases, issues) = (0, 0);
        foreach (var (type, seed, json) in GeneratedBodies.All)
        {
            var result = ReaderComparison.Compare(json);
            Assert.True(result.Failure is null, $"{type} (seed {seed}): {result.Failure}\n{json}");
            Assert.True(result.ReadByUs == (result.FirelyIssue is null), $"{type} (seed {seed}): read by us {result.ReadByUs}, Firely's issue: {result.FirelyIssue}\n{json}");
            issues += result.FirelyIssue is null ? 0 : 1;
            cases++;
        }

        output.WriteLine($"{cases} resources of {PocoGenerator.ResourceTypes.Count} types equal to Firely's; all but the {issues} Firely reads with an issue read by the reader");
        Assert.True(issues < cases / 20, $"{issues} of {cases} generated resources are read by Firely with an issue: the generator should make valid JSON");
    }

    [Fact]
    public void Makes_what_Firely_makes_of_changed_JSON_of_every_type_or_leaves_it_to_Firely()
    {
        var (cases, ours, threw, cautious) = (0, 0, 0, 0);
        var gen = Gen.Select(Gen.Int[0, GeneratedBodies.All.Count - 1], Gen.Int[0, int.MaxValue], Gen.Int[1, 3]);
        gen.Sample((generated, seed, changes) =>
        {
            var json = GeneratedBodies.All[generated].Json;
            var mutations = new JsonMutations(seed);
            var changed = mutations.Mutate(json, changes);
            var result = ReaderComparison.Compare(changed);
            Interlocked.Increment(ref cases);
            if (result.ReadByUs)
            {
                Interlocked.Increment(ref ours);
            }

            if (result.FirelyThrew)
            {
                Interlocked.Increment(ref threw);
            }

            if (!result.ReadByUs && result.FirelyIssue is null)
            {
                Interlocked.Increment(ref cautious);
            }

            if (result.ReadByUs && result.FirelyIssue is not null)
            {
                // The reader's rule: it reads only what Firely reads without recording an issue.
                return Fail($"read by the reader, though Firely records: {result.FirelyIssue}\n{changed}");
            }

            return result.Failure is null || Fail($"{result.Failure}\nchanges {string.Join(",", mutations.Made)}\n{changed}");
        }, iter: 4000, threads: 1);

        output.WriteLine($"{cases} changed resources: {ours} read by the reader, {cases - ours} left to Firely ({threw} of them refused by Firely, "
            + $"{cautious} read by Firely without any issue: what the reader leaves to Firely though it need not, e.g. a number for a string)");
        Assert.InRange(ours, 1, cases - 1);
    }

    [Fact]
    public void Makes_what_Firely_makes_of_Bundles_of_mixed_entries()
    {
        var (cases, ours) = (0, 0);
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 2]).Sample((seed, changes) =>
        {
            var json = FhirJson.Serialize(new PocoGenerator(seed).Searchset());
            var changed = changes == 0 ? json : new JsonMutations(seed).Mutate(json, changes);
            var result = ReaderComparison.Compare(changed);
            Interlocked.Increment(ref cases);
            if (result.ReadByUs)
            {
                Interlocked.Increment(ref ours);
            }

            return (!result.ReadByUs || result.FirelyIssue is null || Fail($"read by the reader, though Firely records: {result.FirelyIssue}\n{changed}"))
                && (result.Failure is null || Fail(result.Failure + "\n" + changed)) && (changes > 0 || result.ReadByUs || Fail("went to Firely:\n" + json));
        }, iter: 600, threads: 1);

        output.WriteLine($"{cases} Bundles: {ours} read by the reader, {cases - ours} left to Firely");
    }

    [Fact]
    public async System.Threading.Tasks.Task Reads_every_answer_of_the_embedded_store_seed_itself()
    {
        var store = new InMemoryFhirStore();
        await SeedData.PopulateAsync(store, DateTimeOffset.UtcNow, default);
        var answers = new List<Resource> { (await store.ReadCapabilitiesAsync(default))! };
        foreach (var type in new[] { "Schedule", "Slot", "Appointment", "Patient", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "Organization" })
        {
            var all = await store.SearchAllAsync(new FhirQuery(type), default);
            answers.AddRange(all);
            answers.Add(Searchset(all, []));
        }

        var weekView = new FhirQuery("Schedule").WhereRaw("_revinclude", "Slot:schedule").WhereRaw("_revinclude:iterate", "Appointment:slot")
            .WhereRaw("_include:iterate", "Appointment:actor");
        var page = await store.SearchAsync(weekView, default);
        answers.Add(Searchset(page.Resources, page.Included));

        var resources = 0;
        foreach (var answer in answers)
        {
            var json = FhirJson.Serialize(answer);
            var result = ReaderComparison.Compare(json);
            Assert.True(result.Failure is null, result.Failure);
            Assert.True(result.ReadByUs, "went to Firely: " + json);
            Assert.Equal(json, FhirJson.Serialize(FhirJson.Parse(json)));
            resources += answer is Bundle bundle ? bundle.Entry.Count : 1;
        }

        output.WriteLine($"{answers.Count} answers ({resources} resources), none left to Firely");
        Assert.True(page.Included.Count > 0, "the week view's search includes its slots' appointments and actors");
    }

    [Fact]
    public void Parses_text_as_the_engine_does()
    {
        Gen.Int[0, int.MaxValue].Sample(seed =>
        {
            var json = new JsonMutations(seed).Mutate(GeneratedBodies.All[seed % GeneratedBodies.All.Count].Json, seed % 3);
            string Outcome(Func<Resource?> parse)
            {
                try
                {
                    return parse() is { } r ? FhirJson.Serialize(r) : "null";
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    return e.GetType().Name + " " + e.Message;
                }
            }

            return Outcome(() => FhirJson.Engine.DeserializeFromJson(json)) == Outcome(() => FhirJsonReader.Deserialize(json));
        }, iter: 500, threads: 1);
    }

    private static Bundle Searchset(IEnumerable<Resource> matches, IEnumerable<Resource> included)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset };
        bundle.Entry.AddRange(matches.Select(r => Entry(r, Bundle.SearchEntryMode.Match)));
        bundle.Entry.AddRange(included.Select(r => Entry(r, Bundle.SearchEntryMode.Include)));
        bundle.Total = bundle.Entry.Count;
        return bundle;
    }

    private static Bundle.EntryComponent Entry(Resource resource, Bundle.SearchEntryMode mode) => new()
    {
        FullUrl = "http://fhir.example/" + resource.TypeName + "/" + resource.Id,
        Resource = resource,
        Search = new Bundle.SearchComponent { Mode = mode },
    };

    private static bool Fail(string message) => throw new Xunit.Sdk.XunitException(message);
}
