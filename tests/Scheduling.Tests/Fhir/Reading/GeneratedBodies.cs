using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Fhir.Reading;

/// <summary>
/// Firely's JSON of generated resources, 12 of every R4 type (seeds 0 to 11, in type then seed order): made once per
/// test run for every reader test that reads them as they are or changes them (generating a resource costs more than
/// reading it twice).
/// </summary>
internal static class GeneratedBodies
{
    private static readonly Lazy<IReadOnlyList<(string Type, int Seed, string Json)>> Bodies = new(() =>
        [.. PocoGenerator.ResourceTypes.SelectMany(type => Enumerable.Range(0, 12).Select(seed => (type.Name, seed, FhirJson.Serialize(new PocoGenerator(seed).Resource(type)))))]);

    public static IReadOnlyList<(string Type, int Seed, string Json)> All => Bodies.Value;
}
