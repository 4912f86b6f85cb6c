using System.Collections.Concurrent;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir.Reading;

/// <summary>The JSON kind a FHIR primitive's value takes, from the .NET type Firely reads it as.</summary>
internal enum PrimitiveKind
{
    /// <summary>Not a primitive the reader fills (a dynamic or abstract one): the body goes to Firely.</summary>
    None,

    /// <summary>A JSON string, stored as Firely's <c>GetString()</c> stores it.</summary>
    Text,

    /// <summary>A JSON number that fits an <see cref="int"/> (Firely's hint for the type is <see cref="int"/>).</summary>
    Int32,

    /// <summary>A JSON number that fits a <see cref="decimal"/> (Firely's hint for the type is <see cref="decimal"/>).</summary>
    Decimal,

    /// <summary>A JSON true or false.</summary>
    Boolean,
}

/// <summary>
/// What the reader knows of one FHIR type, computed once from Firely's own <see cref="ClassMapping"/>: the UTF-8 names
/// its JSON objects may hold (exact case only; a name Firely would bind by another case, or not at all, is not here,
/// so the reader hands the body to Firely), and for a primitive the JSON kind of its value.
/// </summary>
internal sealed class TypeTable
{
    private static readonly ConcurrentDictionary<ClassMapping, TypeTable> Tables = new(ReferenceEqualityComparer.Instance);

    private TypeTable(ClassMapping mapping)
    {
        Mapping = mapping;
        IsResource = mapping.IsResource;
        IsPrimitive = mapping.IsFhirPrimitive;
        Kind = IsPrimitive ? KindOf(mapping) : PrimitiveKind.None;
        CanCreate = !mapping.NativeType.IsAbstract && !typeof(IDynamicType).IsAssignableFrom(mapping.NativeType) && mapping.PropertyMappings.Count <= 64;
        Names = new Utf8NameTable<ElementEntry>(CanCreate ? EntriesOf(mapping) : []);
    }

    public ClassMapping Mapping { get; }

    public bool IsResource { get; }

    public bool IsPrimitive { get; }

    public PrimitiveKind Kind { get; }

    /// <summary>Whether the reader makes instances of this type (concrete, not Firely's dynamic stand-ins, at most 64 elements).</summary>
    public bool CanCreate { get; }

    public Utf8NameTable<ElementEntry> Names { get; }

    public static TypeTable For(ClassMapping mapping) => Tables.GetOrAdd(mapping, static m => new TypeTable(m));

    private static PrimitiveKind KindOf(ClassMapping mapping)
    {
        var hint = mapping.PrimitiveValueProperty?.ImplementingType;
        if (hint is null || hint == typeof(object))
        {
            return PrimitiveKind.None;
        }

        return hint == typeof(int) ? PrimitiveKind.Int32
            : hint == typeof(decimal) ? PrimitiveKind.Decimal
            : hint == typeof(bool) ? PrimitiveKind.Boolean
            : PrimitiveKind.Text;
    }

    /// <summary>
    /// Every serialized name of the type's elements, as Firely's <c>getMappingForElement</c> maps it: an element by its
    /// name; a choice by its name and the suffix of each of its types (the value's mapping found by that suffix, as
    /// Firely finds it); a primitive element also by <c>_name</c>. A primitive's own <c>value</c> is no element in
    /// JSON (Firely treats it as unknown), so it is left out.
    /// </summary>
    private static List<KeyValuePair<string, ElementEntry>> EntriesOf(ClassMapping mapping)
    {
        var inspector = mapping.Inspector;
        var entries = new List<KeyValuePair<string, ElementEntry>>();
        var index = 0;
        foreach (var property in mapping.PropertyMappings)
        {
            var bit = 2 * index++;
            if ((mapping.IsFhirPrimitive && property.Name == "value") || (mapping.IsResource && property.Name == "resourceType"))
            {
                continue;
            }

            var list = property.IsCollection ? inspector.FindOrImportClassMapping(property.ImplementingType) : null;
            if (property.IsCollection && list is null)
            {
                continue;
            }

            if (property.Choice == ChoiceType.DatatypeChoice)
            {
                foreach (var type in property.FhirTypeMappings)
                {
                    var suffix = char.ToUpperInvariant(type.Name[0]) + type.Name[1..];
                    var name = property.Name + suffix;
                    if (inspector.FindClassMapping(suffix) is { } valueMapping && ChoiceLookupFinds(mapping, name, property))
                    {
                        Add(entries, name, property, valueMapping, bit, list);
                    }
                }
            }
            else if (property.Choice is ChoiceType.None or ChoiceType.ResourceChoice
                && mapping.FindMappedElementByName(property.Name) == property
                && ValueMappingOf(property) is { } valueMapping)
            {
                Add(entries, property.Name, property, valueMapping, bit, list);
            }
        }

        return entries;
    }

    private static void Add(List<KeyValuePair<string, ElementEntry>> entries, string name, PropertyMapping property, ClassMapping valueMapping, int bit, ClassMapping? list)
    {
        entries.Add(new(name, new ElementEntry(property, valueMapping, underscore: false, bit) { ListMapping = list }));
        if (valueMapping.IsFhirPrimitive)
        {
            entries.Add(new("_" + name, new ElementEntry(property, valueMapping, underscore: true, bit + 1) { ListMapping = list }));
        }
    }

    /// <summary>
    /// Whether Firely's lookup of <paramref name="name"/> lands on <paramref name="property"/>: no element has that exact
    /// name, and of the choice elements whose name starts the name (case-insensitively, as Firely compares), the
    /// longest is this one.
    /// </summary>
    private static bool ChoiceLookupFinds(ClassMapping mapping, string name, PropertyMapping property)
    {
        if (mapping.FindMappedElementByName(name) is not null)
        {
            return false;
        }

        PropertyMapping? longest = null;
        foreach (var candidate in mapping.PropertyMappings)
        {
            if (candidate.Choice == ChoiceType.DatatypeChoice && name.StartsWith(candidate.Name, StringComparison.OrdinalIgnoreCase)
                && (longest is null || candidate.Name.Length > longest.Name.Length))
            {
                longest = candidate;
            }
        }

        return longest == property;
    }

    /// <summary>Firely's mapping of a non-choice element's value: the property's own custom mapping, or its instantiable type's.</summary>
    private static ClassMapping? ValueMappingOf(PropertyMapping property)
    {
        if (property.PropertyTypeMapping is { IsCustomMapping: true } custom)
        {
            return custom;
        }

        var type = property.ImplementingType;
        if (type.IsAbstract && property.FhirTypeMappings.Count == 1)
        {
            type = property.FhirTypeMappings[0].NativeType;
        }

        return property.Inspector.FindOrImportClassMapping(type);
    }
}
