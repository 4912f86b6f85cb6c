using System.Collections;
using System.Collections.Concurrent;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// FHIR R4's own minimum cardinality (<c>min=1</c> in the element definitions, <see cref="PropertyMapping.IsMandatoryElement"/>
/// on the POCOs), read from <see cref="ModelInfo.ModelInspector"/>: the one source for which GraphQL fields are non-null
/// and for which resources from upstream are served at all. A required primitive counts as present only with a value
/// (an element carrying only extensions, e.g. a data-absent-reason, has none for the gateway to serve).
/// </summary>
public static class FhirCardinality
{
    /// <summary>The FHIR element a property of <paramref name="type"/> maps, by its FHIR name (<c>start</c>, <c>reasonCode</c>).</summary>
    public static PropertyMapping? Element(Type type, string name)
    {
        ArgumentNullException.ThrowIfNull(type);
        return ModelInfo.ModelInspector.FindClassMapping(type)?.FindMappedElementByName(name);
    }

    /// <summary>
    /// The required elements missing in <paramref name="value"/> and everything under it (components, data types,
    /// contained resources), as FHIR paths: <c>Slot.start</c>, <c>Appointment.participant[1].status</c>. Empty when it
    /// keeps its own cardinality.
    /// </summary>
    public static IReadOnlyList<string> Missing(Base value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var missing = new List<string>();
        Walk(value, value.TypeName, missing);
        return missing;
    }

    /// <summary>
    /// Each POCO type's required elements (null: not a FHIR type), read once: Firely's property list is a
    /// ConcurrentDictionary whose enumeration takes all its locks, which every field of every request contended for.
    /// </summary>
    private static readonly ConcurrentDictionary<Type, string[]?> RequiredElements = new();

    private static string[]? Required(Type type) =>
        RequiredElements.GetOrAdd(type, static t => ModelInfo.ModelInspector.FindClassMapping(t) is { } mapping
            ? [.. mapping.PropertyMappings.Where(e => e.IsMandatoryElement && !e.RepresentsValueElement).Select(e => e.Name)]
            : null);

    private static void Walk(Base value, string path, List<string> missing)
    {
        if (Required(value.GetType()) is not { } required)
        {
            return;
        }

        foreach (var name in required)
        {
            if (!Present(value, name))
            {
                missing.Add(path + "." + name);
            }
        }

        if (value is PrimitiveType)
        {
            return;
        }

        foreach (var (name, child) in value.EnumerateElements())
        {
            switch (child)
            {
                case Base single:
                    Walk(single, path + "." + name, missing);
                    break;
                case IEnumerable many and not string:
                    var i = 0;
                    foreach (var item in many)
                    {
                        if (item is Base each)
                        {
                            Walk(each, $"{path}.{name}[{i}]", missing);
                        }

                        i++;
                    }

                    break;
            }
        }
    }

    private static bool Present(Base value, string name) =>
        value.TryGetValue(name, out var child) && child switch
        {
            null => false,
            PrimitiveType primitive => primitive.JsonValue is not null,
            string text => text.Length > 0,
            ICollection many => many.Count > 0,
            _ => true,
        };
}
