using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;

namespace Scheduling.Schema.Common;

/// <summary>
/// Which FHIR element a field of a FHIR-backed type serves, where its name is not the element's own
/// (<c>participants</c> serves <c>participant</c>), or that it serves none (<see cref="Derived"/>: ids, versions,
/// connections computed by the gateway). A field named like an element of its type serves that element. The schema's
/// nullability follows from it: a single element is non-null exactly when FHIR R4 requires it (min=1); repeating elements,
/// lists and connections are always non-null with non-null items (NullabilityTests walks the schema for it).
/// </summary>
public static class FhirElements
{
    public const string MetadataKey = "fhirElement";

    /// <summary>The metadata value of a field that serves no FHIR element of its type.</summary>
    public const string Derived = "";

    public static FieldBuilder<TSource, TReturn> FhirElement<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, string element)
    {
        ArgumentNullException.ThrowIfNull(field);
        field.FieldType.Metadata[MetadataKey] = element;
        return field;
    }

    public static FieldBuilder<TSource, TReturn> NotFhirElement<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) =>
        field.FhirElement(Derived);

    /// <summary>The FHIR element name a field serves: its declared one, else its own name; null when it serves none.</summary>
    public static string? Of(IFieldType field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var declared = field.GetMetadata<string?>(MetadataKey);
        return declared is null ? field.Name : declared.Length == 0 ? null : declared;
    }
}
