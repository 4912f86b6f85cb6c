using System.Collections;
using Hl7.Fhir.Introspection;

namespace Scheduling.Schema.Fhir.Reading;

/// <summary>
/// One name a JSON object of a type may hold (<c>active</c>, <c>_active</c>, <c>valueString</c>), resolved once as
/// Firely's deserializer resolves it for every occurrence: the element's <see cref="PropertyMapping"/>, the mapping of
/// the value it makes (a choice's suffix picks its type), the list it makes for a repeating element.
/// </summary>
internal sealed class ElementEntry(PropertyMapping property, ClassMapping valueMapping, bool underscore, int bit)
{
    private TypeTable? _valueTable;

    public PropertyMapping Property { get; } = property;

    /// <summary>The element's name in the POCO's <c>TryGetValue</c>/<c>SetValue</c> (without a choice's suffix).</summary>
    public string Name => Property.Name;

    public ClassMapping ValueMapping { get; } = valueMapping;

    /// <summary>Whether this is the <c>_name</c> companion of a primitive (its id and extensions).</summary>
    public bool Underscore { get; } = underscore;

    /// <summary>This name's bit in an object's seen-elements mask: one per element and underscore, shared by a choice's suffixes.</summary>
    public int Bit { get; } = bit;

    public bool IsCollection => Property.IsCollection;

    /// <summary>What Firely's <c>PropertyValueMapping.CreateList</c> builds for a repeating element.</summary>
    public ClassMapping? ListMapping { get; init; }

    public TypeTable ValueTable => _valueTable ??= TypeTable.For(ValueMapping);

    public IList CreateList() => ListMapping!.CreateList();
}
