using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Fhir.Reading;

namespace Scheduling.Bench;

/// <summary>
/// Firely's deserializer against the gateway's <see cref="FhirJsonReader"/> on the bench practice's searchsets as the
/// canned FHIR server sends them (every Slot with its appointments and their actors, about 140 resources; and every
/// Schedule): microseconds and KB allocated per parse, each on one thread. Exits non-zero if the reader leaves any of
/// them to Firely.
/// </summary>
internal static class ParseBenchmark
{
    public static async System.Threading.Tasks.Task RunAsync(int iterations)
    {
        var store = new InMemoryFhirStore();
        await Practice.SeedAsync(store);
        var bodies = new List<(string Name, byte[] Json, int Entries)>();
        foreach (var (name, query) in new[]
        {
            ("Slot + appointments + actors", new FhirQuery("Slot").WhereRaw("_revinclude", "Appointment:slot").WhereRaw("_include:iterate", "Appointment:actor").Count(100)),
            ("Schedule", new FhirQuery("Schedule")),
        })
        {
            var page = await store.SearchAsync(query, default);
            var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = page.Total };
            bundle.Entry.AddRange(page.Resources.Concat(page.Included).Select(r => new Bundle.EntryComponent
            {
                FullUrl = "http://canned.fhir/fhir/" + r.TypeName + "/" + r.Id,
                Resource = r,
                Search = new Bundle.SearchComponent { Mode = page.Resources.Contains(r) ? Bundle.SearchEntryMode.Match : Bundle.SearchEntryMode.Include },
            }));
            bodies.Add((name, Encoding.UTF8.GetBytes(FhirJson.Serialize(bundle)), bundle.Entry.Count));
        }

        Console.WriteLine($"FHIR JSON parse, {iterations} parses per row after warm-up; {Environment.ProcessorCount} cores, load {Load()}; {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        Console.WriteLine();
        Console.WriteLine("| searchset | entries | KB | parser | µs/parse (p50) | KB allocated/parse |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, json, entries) in bodies)
        {
            if (FhirJsonReader.TryRead(json) is null)
            {
                Console.WriteLine($"LEFT TO FIRELY: {name}");
                Environment.ExitCode = 1;
            }

            foreach (var (parser, parse) in new (string, Func<byte[], Resource?>)[] { ("Firely", Firely), ("ours", json => FhirJsonReader.TryRead(json)) })
            {
                var (micros, bytes) = Measure(() => parse(json), iterations);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {entries} | {json.Length / 1024} | {parser} | {micros:F0} | {bytes / 1024:F0} |"));
            }
        }
        // One shape review 11 found quadratic in the reader (a list noted once per null, walked whole per note): a
        // primitive array of nulls its `_x` companion fills. The reader must not be slower than Firely on it.
        var filled = FilledNulls(10_000);
        var (firelyMicros, _) = Measure(() => Firely(filled), Math.Min(iterations, 20));
        var (ourMicros, ourBytes) = Measure(() => FhirJsonReader.TryRead(filled), Math.Min(iterations, 20));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| Patient, 10,000 null `given` filled by `_given` | 1 | {filled.Length / 1024} | Firely / ours | {firelyMicros:F0} / {ourMicros:F0} | - / {ourBytes / 1024:F0} |"));
        if (ourMicros > firelyMicros)
        {
            Console.WriteLine("SLOWER THAN FIRELY: the reader on nulls filled by a companion.");
            Environment.ExitCode = 1;
        }
    }

    private static byte[] FilledNulls(int n)
    {
        var text = new StringBuilder("{\"resourceType\":\"Patient\",\"name\":[{\"given\":[");
        text.Insert(text.Length, "null,", n).Append("\"a\"],\"_given\":[");
        for (var i = 0; i < n; i++)
        {
            text.Append("{\"id\":\"x\"},");
        }

        return Encoding.UTF8.GetBytes(text.Append("null]}]}").ToString());
    }

    private static Resource? Firely(byte[] json) => FhirJsonReader.ByFirely(json);

    private static (double Micros, double Bytes) Measure(Func<Resource?> parse, int iterations)
    {
        for (var i = 0; i < Math.Min(iterations, 50); i++)
        {
            parse();
        }

        var times = new double[iterations];
        GC.Collect();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            parse();
            times[i] = clock.Elapsed.TotalMicroseconds;
        }

        var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)iterations;
        Array.Sort(times);
        return (times[iterations / 2], bytes);
    }

    private static string Load() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
