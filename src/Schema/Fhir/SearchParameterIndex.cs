using System.Collections.Concurrent;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// FHIR R4's search parameter definitions (Firely's list) and the FHIRPath that extracts their values from a
/// resource. The in-memory store searches with it and the DataLoaders use it to split a batched search's
/// results back to the key each result belongs to, so both read a parameter exactly as the spec defines it.
/// </summary>
public static class SearchParameterIndex
{
    private static readonly Dictionary<(string Resource, string Name), SearchParamDefinition> Definitions =
        ModelInfo.SearchParameters
            .Where(p => p.Resource is not null && p.Name is not null && p.Expression is not null)
            .GroupBy(p => (p.Resource!, p.Name!))
            .ToDictionary(g => g.Key, g => g.First());

    private static readonly ConcurrentDictionary<string, Resource> Stubs = new();

    /// <summary>FHIR's parameters for all resources (Firely's list leaves them out), as path below the resource.</summary>
    private static readonly Dictionary<string, (SearchParamType Type, string Path)> Common = new()
    {
        ["_tag"] = (SearchParamType.Token, "meta.tag"),
        ["_profile"] = (SearchParamType.Uri, "meta.profile"),
        ["_security"] = (SearchParamType.Token, "meta.security"),
        ["_lastUpdated"] = (SearchParamType.Date, "meta.lastUpdated"),
    };

    private static readonly ConcurrentDictionary<(string Resource, string Name), SearchParamDefinition> CommonDefinitions = new();

    /// <summary>FHIRPath's <c>resolve()</c> for expressions such as <c>actor.where(resolve() is Practitioner)</c>:
    /// only the referenced type matters, so a stub of that type answers.</summary>
    private static readonly FhirEvaluationContext Context = new() { ElementResolver = ResolveStub };

    public static SearchParamDefinition? Find(string resourceType, string name) =>
        Definitions.GetValueOrDefault((resourceType, name)) ??
        (Common.TryGetValue(name, out var common)
            ? CommonDefinitions.GetOrAdd((resourceType, name), key => new SearchParamDefinition
            {
                Resource = key.Resource,
                Name = key.Name,
                Type = common.Type,
                Expression = key.Resource + "." + common.Path,
            })
            : null);

    /// <summary>The elements a search parameter indexes on a resource.</summary>
    public static IEnumerable<Base> Values(Resource resource, SearchParamDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(definition);
        return resource.Select(definition.Expression!, Context).OfType<Base>();
    }

    /// <summary>The references a reference parameter holds on a resource, as <c>Type/id</c>.</summary>
    public static IEnumerable<FhirReference> References(Resource resource, string parameter)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var definition = Find(resource.TypeName, parameter) ??
            throw new ArgumentException($"{resource.TypeName} has no search parameter '{parameter}'.", nameof(parameter));
        foreach (var value in Values(resource, definition))
        {
            if (value is ResourceReference reference && FhirReference.From(reference) is { } parsed)
            {
                yield return parsed;
            }
        }
    }

    private static PocoNode? ResolveStub(string reference)
    {
        if (!FhirReference.TryParse(reference, out var parsed))
        {
            return null;
        }

        var stub = Stubs.GetOrAdd(parsed.ResourceType, static type =>
            (Resource)Activator.CreateInstance(ModelInfo.GetTypeForFhirType(type)!)!);
        return stub.ToPocoNode();
    }
}
