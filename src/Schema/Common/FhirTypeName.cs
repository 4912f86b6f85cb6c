using Hl7.Fhir.Model;

namespace Scheduling.Schema.Common;

/// <summary>
/// A resource class's FHIR type name, looked up once per class: <see cref="ModelInfo.GetFhirTypeNameForType"/> searches
/// the model on every call, and by-id root fields and nested lists asked it on every resolution.
/// </summary>
internal static class FhirTypeName<T>
    where T : Resource
{
    public static string Value { get; } = ModelInfo.GetFhirTypeNameForType(typeof(T)) ?? typeof(T).Name;
}
