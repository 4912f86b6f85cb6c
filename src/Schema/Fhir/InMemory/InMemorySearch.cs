using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir.InMemory;

/// <summary>
/// Evaluates FHIR search parameters against resources held in memory, from the parameters' FHIR definitions
/// (type and FHIRPath expression). Strict: an unknown parameter or modifier is an error, as with
/// <c>Prefer: handling=strict</c>, so a bug in a query shows instead of silently matching everything.
/// </summary>
internal static class InMemorySearch
{
    private static readonly HashSet<string> ResultParameters = ["_count", "_offset", "_sort", "_total"];
    private static readonly string[] DatePrefixes = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"];

    public static bool Matches(Resource resource, FhirQuery query)
    {
        foreach (var (key, value) in query.Parameters)
        {
            if (ResultParameters.Contains(key) || FhirInclude.IsIncludeKey(key))
            {
                continue;
            }

            if (!MatchesParameter(resource, key, value))
            {
                return false;
            }
        }

        return true;
    }

    public static IEnumerable<Resource> Sort(IEnumerable<Resource> resources, string? sort)
    {
        if (string.IsNullOrWhiteSpace(sort))
        {
            return resources;
        }

        IOrderedEnumerable<Resource>? ordered = null;
        foreach (var raw in sort.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var descending = raw.StartsWith('-');
            var name = descending ? raw[1..] : raw;
            Func<Resource, IComparable?> key = r => SortKey(r, name);
            ordered = ordered is null
                ? (descending ? resources.OrderByDescending(key, NullsLast.Instance) : resources.OrderBy(key, NullsLast.Instance))
                : (descending ? ordered.ThenByDescending(key, NullsLast.Instance) : ordered.ThenBy(key, NullsLast.Instance));
        }

        return ordered ?? resources;
    }

    private static bool MatchesParameter(Resource resource, string key, string value)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? key : key[..colon];
        var modifier = colon < 0 ? null : key[(colon + 1)..];

        if (name == "_id")
        {
            return FhirQuery.Split(value, ',').Contains(resource.Id, StringComparer.Ordinal);
        }

        var definition = SearchParameterIndex.Find(resource.TypeName, name) ??
            throw new FhirRequestRejectedException($"Unknown search parameter '{name}' for {resource.TypeName}.");
        var values = SearchParameterIndex.Values(resource, definition).ToList();

        if (modifier == "missing")
        {
            var wantMissing = value == "true";
            return wantMissing == (values.Count == 0);
        }

        var matched = definition.Type switch
        {
            SearchParamType.Token when modifier is null or "not" => MatchesToken(values, value),
            SearchParamType.Reference when modifier is null => MatchesReference(values, value),
            SearchParamType.Date when modifier is null => MatchesDate(values, value),
            SearchParamType.String when modifier is null or "exact" or "contains" => MatchesString(values, value, modifier),
            SearchParamType.Uri when modifier is null => FhirQuery.Split(value, ',').Any(v => values.Any(e => e.ToString() == v)),
            _ => throw new FhirRequestRejectedException(
                $"Search parameter '{key}' ({definition.Type}) is not supported by the embedded store."),
        };
        return modifier == "not" ? !matched : matched;
    }

    private static bool MatchesToken(List<Base> values, string value)
    {
        var tokens = ExtractTokens(values).ToList();
        foreach (var alternative in FhirQuery.SplitKeepingEscapes(value, ','))
        {
            var parts = FhirQuery.Split(alternative, '|');
            var (system, code) = parts.Count == 1 ? ((string?)null, parts[0]) : (parts[0], parts[1]);
            if (tokens.Any(t => (system is null || system == (t.System ?? string.Empty)) && (code.Length == 0 || code == t.Code)))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<(string? System, string? Code)> ExtractTokens(IEnumerable<Base> values)
    {
        foreach (var value in values)
        {
            switch (value)
            {
                case Coding coding:
                    yield return (coding.System, coding.Code);
                    break;
                case CodeableConcept concept:
                    foreach (var coding in concept.Coding)
                    {
                        yield return (coding.System, coding.Code);
                    }

                    break;
                case Identifier identifier:
                    yield return (identifier.System, identifier.Value);
                    break;
                case ContactPoint contact:
                    yield return (null, contact.Value);
                    break;
                case FhirBoolean boolean:
                    yield return (null, boolean.Value is true ? "true" : "false");
                    break;
                case PrimitiveType primitive:
                    yield return (null, primitive.ToString());
                    break;
            }
        }
    }

    private static bool MatchesReference(List<Base> values, string value)
    {
        var targets = values.OfType<ResourceReference>().Select(r => r.Reference).Where(r => r is not null).ToList();
        foreach (var wanted in FhirQuery.Split(value, ','))
        {
            if (FhirReference.TryParse(wanted, out var parsed))
            {
                if (targets.Any(t => FhirReference.TryParse(t, out var target) && target == parsed))
                {
                    return true;
                }
            }
            else if (FhirReference.IsValidId(wanted) &&
                     targets.Any(t => FhirReference.TryParse(t, out var target) && target.Id == wanted))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesDate(IEnumerable<Base> values, string value)
    {
        var targets = values.Select(FhirDateRange.FromElement).OfType<FhirDateRange>().ToList();
        foreach (var alternative in FhirQuery.Split(value, ','))
        {
            var prefix = alternative.Length > 2 && DatePrefixes.Contains(alternative[..2]) ? alternative[..2] : "eq";
            var text = prefix == "eq" && !alternative.StartsWith("eq", StringComparison.Ordinal) ? alternative : alternative[2..];
            if (!FhirDateRange.TryParse(text, out var searched))
            {
                throw new FhirRequestRejectedException($"'{alternative}' is not a FHIR date search value.");
            }

            if (targets.Any(t => searched.Matches(prefix, t)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesString(List<Base> values, string value, string? modifier)
    {
        var texts = values.SelectMany(StringParts).ToList();
        foreach (var wanted in FhirQuery.Split(value, ','))
        {
            var matched = modifier switch
            {
                "exact" => texts.Any(t => t == wanted),
                "contains" => texts.Any(t => Normalise(t).Contains(Normalise(wanted), StringComparison.Ordinal)),
                _ => texts.Any(t => Normalise(t).StartsWith(Normalise(wanted), StringComparison.Ordinal)),
            };
            if (matched)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<string> StringParts(Base value) => value switch
    {
        HumanName name => new[] { name.Text, name.Family }.Concat(name.Given).Concat(name.Prefix).Concat(name.Suffix).OfType<string>(),
        Address address => new[] { address.Text, address.City, address.District, address.State, address.PostalCode, address.Country }
            .Concat(address.Line).OfType<string>(),
        PrimitiveType primitive when primitive.ToString() is { } text => [text],
        _ => [],
    };

    /// <summary>FHIR string search ignores case and accents.</summary>
    private static string Normalise(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }

        return sb.ToString();
    }

    private static IComparable? SortKey(Resource resource, string name)
    {
        if (name == "_id")
        {
            return resource.Id;
        }

        var definition = SearchParameterIndex.Find(resource.TypeName, name) ??
            throw new FhirRequestRejectedException($"Unknown sort parameter '{name}' for {resource.TypeName}.");
        var first = SearchParameterIndex.Values(resource, definition).FirstOrDefault();
        return first switch
        {
            null => null,
            _ when definition.Type == SearchParamType.Date => FhirDateRange.FromElement(first)?.Start,
            _ => ExtractTokens([first]).FirstOrDefault().Code ?? StringParts(first).FirstOrDefault(),
        };
    }

    private sealed class NullsLast : IComparer<IComparable?>
    {
        public static readonly NullsLast Instance = new();

        public int Compare(IComparable? x, IComparable? y) => (x, y) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            _ => x.CompareTo(y),
        };
    }
}
