using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// One <c>_include</c> or <c>_revinclude</c> of a FHIR search, e.g. <c>_revinclude:iterate=Appointment:slot</c>:
/// <see cref="Source"/> is the type that holds the reference parameter <see cref="Parameter"/>, <see cref="Target"/>
/// (optional) the type it must point at. An include follows the references of <see cref="Source"/> resources; a
/// reverse include brings the <see cref="Source"/> resources that point at what the search found.
/// With <see cref="Iterate"/> it also applies to resources other includes brought.
/// </summary>
public sealed record FhirInclude(bool Reverse, string Source, string Parameter, string? Target = null, bool Iterate = false)
{
    public string Key => (Reverse ? "_revinclude" : "_include") + (Iterate ? ":iterate" : string.Empty);

    public string Value => Source + ":" + Parameter + (Target is null ? string.Empty : ":" + Target);

    public override string ToString() => Key + "=" + Value;

    /// <summary>Whether a query parameter name is an include or reverse include (with or without a modifier).</summary>
    public static bool IsIncludeKey(string key) =>
        key is "_include" or "_revinclude" or "_include:iterate" or "_revinclude:iterate" or "_include:recurse" or "_revinclude:recurse";

    /// <summary>The includes a query asks for; a malformed one is rejected, as a strict FHIR server does.</summary>
    public static IReadOnlyList<FhirInclude> Of(FhirQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var includes = new List<FhirInclude>();
        foreach (var (key, value) in query.Parameters)
        {
            if (!IsIncludeKey(key))
            {
                continue;
            }

            var parts = value.Split(':');
            if (parts.Length is < 2 or > 3 || !ModelInfo.IsKnownResource(parts[0]) ||
                (parts.Length == 3 && !ModelInfo.IsKnownResource(parts[2])) ||
                SearchParameterIndex.Find(parts[0], parts[1]) is not { Type: SearchParamType.Reference })
            {
                throw new FhirRequestRejectedException($"'{key}={value}' is not a supported include.");
            }

            includes.Add(new FhirInclude(key.StartsWith("_revinclude", StringComparison.Ordinal), parts[0], parts[1],
                parts.Length == 3 ? parts[2] : null, key.EndsWith(":iterate", StringComparison.Ordinal) || key.EndsWith(":recurse", StringComparison.Ordinal)));
        }

        return includes;
    }
}

public static class FhirQueryIncludeExtensions
{
    public static FhirQuery Include(this FhirQuery query, FhirInclude include)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(include);
        return query.WhereRaw(include.Key, include.Value);
    }
}
