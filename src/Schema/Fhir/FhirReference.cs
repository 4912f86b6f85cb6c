using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir;

/// <summary>A relative FHIR reference <c>Type/id</c>, parsed and validated.</summary>
public readonly partial record struct FhirReference(string ResourceType, string Id)
{
    public override string ToString() => ResourceType + "/" + Id;

    /// <summary>FHIR's id grammar: letters, digits, '-' and '.', 1 to 64 characters.</summary>
    public static bool IsValidId([NotNullWhen(true)] string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>The reference to a resource of type <typeparamref name="T"/>; resources from a store always have an id.</summary>
    public static FhirReference For<T>(string? id)
        where T : Resource => new(Common.FhirTypeName<T>.Value, id ?? string.Empty);

    /// <summary>Parses <c>Type/id</c>, <c>Type/id/_history/v</c> or an absolute URL ending in them.</summary>
    public static bool TryParse(string? reference, out FhirReference result)
    {
        result = default;
        if (string.IsNullOrEmpty(reference) || reference.StartsWith('#'))
        {
            return false;
        }

        var path = reference;
        var history = path.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            path = path[..history];
        }

        var parts = path.Split('/');
        if (parts.Length < 2)
        {
            return false;
        }

        var type = parts[^2];
        var id = parts[^1];
        if (!ModelInfo.IsKnownResource(type) || !IsValidId(id))
        {
            return false;
        }

        result = new FhirReference(type, id);
        return true;
    }

    public static FhirReference? From(ResourceReference? reference) =>
        TryParse(reference?.Reference, out var parsed) ? parsed : null;

    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
