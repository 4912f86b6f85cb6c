using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir.InMemory;

/// <summary>
/// <c>_include</c>, <c>_revinclude</c> and <c>:iterate</c> over resources held in memory, as FHIR R4 defines them:
/// every include applies to the search's matches; an iterating one also to whatever includes brought, until
/// nothing new arrives. References are read through the parameters' own FHIRPath (<see cref="SearchParameterIndex"/>).
/// </summary>
internal static class InMemoryIncludes
{
    /// <param name="matches">The page the search answers.</param>
    /// <param name="includes">The query's includes (<see cref="FhirInclude.Of"/>).</param>
    /// <param name="read">A stored resource by reference, or null.</param>
    /// <param name="ofType">Every stored resource of a type.</param>
    /// <returns>The included resources, each once, none of them a match, in the order found.</returns>
    public static IReadOnlyList<Resource> Resolve(
        IReadOnlyList<Resource> matches,
        IReadOnlyList<FhirInclude> includes,
        Func<FhirReference, Resource?> read,
        Func<string, IEnumerable<Resource>> ofType)
    {
        if (includes.Count == 0 || matches.Count == 0)
        {
            return [];
        }

        var seen = matches.Select(Reference).ToHashSet();
        var included = new List<Resource>();
        IReadOnlyList<Resource> frontier = matches;
        var applicable = includes;
        while (frontier.Count > 0 && applicable.Count > 0)
        {
            var fresh = new List<Resource>();
            foreach (var include in applicable)
            {
                foreach (var resource in include.Reverse ? Referencing(frontier, include, ofType) : Referenced(frontier, include, read))
                {
                    if (seen.Add(Reference(resource)))
                    {
                        fresh.Add(resource);
                    }
                }
            }

            included.AddRange(fresh);
            frontier = fresh;
            applicable = [.. includes.Where(i => i.Iterate)];
        }

        return included;
    }

    private static IEnumerable<Resource> Referenced(IReadOnlyList<Resource> from, FhirInclude include, Func<FhirReference, Resource?> read) =>
        from.Where(r => r.TypeName == include.Source)
            .SelectMany(r => SearchParameterIndex.References(r, include.Parameter))
            .Where(target => include.Target is null || target.ResourceType == include.Target)
            .Distinct()
            .Select(read)
            .OfType<Resource>();

    private static IEnumerable<Resource> Referencing(IReadOnlyList<Resource> to, FhirInclude include, Func<string, IEnumerable<Resource>> ofType)
    {
        var targets = to.Where(r => include.Target is null || r.TypeName == include.Target).Select(Reference).ToHashSet();
        return targets.Count == 0
            ? []
            : ofType(include.Source).Where(r => SearchParameterIndex.References(r, include.Parameter).Any(targets.Contains));
    }

    private static FhirReference Reference(Resource resource) => new(resource.TypeName, resource.Id ?? string.Empty);
}
