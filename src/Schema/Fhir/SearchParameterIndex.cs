using System.Collections;
using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// FHIR R4's search parameter definitions (Firely's list) and the FHIRPath that extracts their values from a
/// resource. The in-memory store searches with it and the DataLoaders use it to split a batched search's
/// results back to the key each result belongs to, so both read a parameter exactly as the spec defines it.
/// </summary>
public static partial class SearchParameterIndex
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

    /// <summary>FHIRPath with FHIR's own functions (<c>resolve()</c>, <c>extension()</c>...), for what is not a plain path.</summary>
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    /// <summary>
    /// Each expression made into an evaluator once: Firely's <c>Select</c> looked each one up in its own cache, which
    /// counts its ConcurrentDictionary (all its locks) on every use, and evaluated <c>where(resolve() is T)</c> by
    /// building a node over a stub per reference (about 20 KB and 0.8 ms per appointment for <c>Appointment:patient</c>).
    /// </summary>
    private static readonly ConcurrentDictionary<string, Func<Resource, IEnumerable<Base>>> Evaluators = new(StringComparer.Ordinal);

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
        return Evaluators.GetOrAdd(definition.Expression!, Evaluator)(resource);
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

    /// <summary>The same values by Firely's FHIRPath engine, the definition <see cref="Values"/> must agree with.</summary>
    internal static IEnumerable<Base> ValuesByFhirPath(Resource resource, string expression) =>
        resource.Select(expression, Context).OfType<Base>();

    /// <summary>
    /// A plain path (<c>Slot.schedule</c>, <c>Appointment.participant.actor</c>, optionally ending in
    /// <c>.where(resolve() is Patient)</c>; alternatives joined by <c>|</c>) walks the POCO's elements directly, as
    /// FHIRPath would; anything else is compiled by Firely's FHIRPath compiler once.
    /// </summary>
    private static Func<Resource, IEnumerable<Base>> Evaluator(string expression)
    {
        var paths = new List<PlainPath>();
        foreach (var alternative in expression.Split('|', StringSplitOptions.TrimEntries))
        {
            if (PlainPathPattern().Match(alternative) is not { Success: true } match)
            {
                var compiled = Compiler.Compile(expression);
                return resource => compiled.Invoke([resource.ToPocoNode()], Context).Select(node => node.Poco).OfType<Base>();
            }

            paths.Add(new PlainPath(
                match.Groups["root"].Value,
                match.Groups["steps"].Value.Split('.', StringSplitOptions.RemoveEmptyEntries),
                match.Groups["type"].Success ? match.Groups["type"].Value : null));
        }

        return resource => paths.SelectMany(path => path.Walk(resource));
    }

    [GeneratedRegex(@"^(?<root>[A-Za-z]+)(?<steps>(\.[A-Za-z]+)+)(\.where\(resolve\(\) is (?<type>[A-Za-z]+)\))?$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainPathPattern();

    private sealed record PlainPath(string Root, string[] Steps, string? ReferencedType)
    {
        public IEnumerable<Base> Walk(Resource resource)
        {
            if (resource.TypeName != Root)
            {
                return [];
            }

            IEnumerable<Base> level = [resource];
            foreach (var step in Steps)
            {
                level = level.SelectMany(parent => Children(parent, step));
            }

            // resolve() is T: what the stub resolver would make of the reference (ResolveStub).
            return ReferencedType is null
                ? level
                : level.Where(value => value is ResourceReference { Reference: { } text } &&
                                       FhirReference.TryParse(text, out var target) && target.ResourceType == ReferencedType);
        }

        private static IEnumerable<Base> Children(Base parent, string name) =>
            !parent.TryGetValue(name, out var child) ? [] : child switch
            {
                Base single => [single],
                IEnumerable many and not string => many.OfType<Base>(),
                _ => [],
            };
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
