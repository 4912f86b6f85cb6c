using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// A FHIR search: a resource type and its parameters in FHIR's own syntax. Every literal that comes from a
/// caller goes through <see cref="Escape"/> (FHIR's <c>\,</c> <c>\|</c> <c>\$</c> <c>\\</c>) and every value is
/// URL-encoded when sent, so no argument can add a parameter or an OR-value of its own.
/// Parameter names only ever come from our code.
/// </summary>
public sealed class FhirQuery
{
    private readonly List<KeyValuePair<string, string>> _parameters = [];

    public FhirQuery(string resourceType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceType);
        ResourceType = resourceType;
    }

    public string ResourceType { get; }

    /// <summary>Name (with any modifier) and value in FHIR syntax, in the order added.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters => _parameters;

    public static FhirQuery For<T>()
        where T : Resource => new(Common.FhirTypeName<T>.Value);

    /// <summary>One literal value, escaped.</summary>
    public FhirQuery Where(string name, string literal) => WhereRaw(name, Escape(literal));

    /// <summary>Several literal values OR-ed together (<c>a,b,c</c>), each escaped.</summary>
    public FhirQuery WhereAny(string name, IEnumerable<string> literals)
    {
        var joined = string.Join(',', literals.Select(Escape));
        return joined.Length == 0 ? this : WhereRaw(name, joined);
    }

    /// <summary>A token: <c>system|code</c> or just <c>code</c>, both parts escaped.</summary>
    public FhirQuery WhereToken(string name, string? system, string code) =>
        WhereRaw(name, system is null ? Escape(code) : Escape(system) + "|" + Escape(code));

    /// <summary>A token a caller wrote as <c>code</c> or <c>system|code</c>: split at the first bar, each part escaped.</summary>
    public FhirQuery WhereTokenText(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? WhereToken(name, null, text) : WhereToken(name, text[..bar], text[(bar + 1)..]);
    }

    /// <summary>A date comparison with a FHIR prefix (eq, ne, gt, lt, ge, le, sa, eb), written at the precision the
    /// value has: FHIR compares ranges, and <c>eq 09:00:00.000</c> would not contain an instant stored as <c>09:00:00</c>.</summary>
    public FhirQuery WhereDate(string name, string prefix, DateTimeOffset value) =>
        WhereRaw(name, prefix + value.ToString(value.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:sszzz" : "yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture));

    /// <summary>A value already in FHIR syntax. Only for values our own code composed.</summary>
    public FhirQuery WhereRaw(string name, string fhirValue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _parameters.Add(new(name, fhirValue));
        return this;
    }

    public FhirQuery SortBy(IEnumerable<(string Parameter, bool Descending)> keys)
    {
        var sort = string.Join(',', keys.Select(k => (k.Descending ? "-" : string.Empty) + k.Parameter));
        return sort.Length == 0 ? this : Set("_sort", sort);
    }

    public FhirQuery Count(int count) => Set("_count", count.ToString(CultureInfo.InvariantCulture));

    public FhirQuery Offset(int offset) => offset <= 0 ? Remove("_offset") : Set("_offset", offset.ToString(CultureInfo.InvariantCulture));

    public FhirQuery WithTotal() => Set("_total", "accurate");

    public string? Get(string name) => _parameters.LastOrDefault(p => p.Key == name).Value;

    public FhirQuery Clone()
    {
        var copy = new FhirQuery(ResourceType);
        copy._parameters.AddRange(_parameters);
        return copy;
    }

    /// <summary>The relative URL, e.g. <c>Slot?schedule=Schedule%2F1&amp;_count=50</c>.</summary>
    public string ToRelativeUrl()
    {
        if (_parameters.Count == 0)
        {
            return ResourceType;
        }

        var sb = new StringBuilder(ResourceType).Append('?');
        for (var i = 0; i < _parameters.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('&');
            }

            sb.Append(_parameters[i].Key).Append('=').Append(Uri.EscapeDataString(_parameters[i].Value));
        }

        return sb.ToString();
    }

    /// <summary>Identifies the search without paging, for grouping equal searches.</summary>
    public string FilterSignature =>
        string.Join('&', _parameters.Where(p => p.Key is not ("_count" or "_offset" or "_total"))
            .Select(p => p.Key + "=" + p.Value));

    public override string ToString() => ToRelativeUrl();

    /// <summary>FHIR search escaping of a literal: <c>\</c>, <c>,</c>, <c>|</c> and <c>$</c> get a backslash.</summary>
    public static string Escape(string literal)
    {
        ArgumentNullException.ThrowIfNull(literal);
        if (literal.AsSpan().IndexOfAny(@"\,|$") < 0)
        {
            return literal;
        }

        var sb = new StringBuilder(literal.Length + 4);
        foreach (var c in literal)
        {
            if (c is '\\' or ',' or '|' or '$')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>Splits a FHIR value on an unescaped separator and unescapes each part.</summary>
    public static IReadOnlyList<string> Split(string value, char separator)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length)
            {
                current.Append(value[++i]);
            }
            else if (c == separator)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        parts.Add(current.ToString());
        return parts;
    }

    /// <summary>Splits on an unescaped separator but keeps escapes, for a second level of splitting.</summary>
    public static IReadOnlyList<string> SplitKeepingEscapes(string value, char separator)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\')
            {
                i++;
            }
            else if (value[i] == separator)
            {
                parts.Add(value[start..i]);
                start = i + 1;
            }
        }

        parts.Add(value[start..]);
        return parts;
    }

    private FhirQuery Set(string name, string value)
    {
        Remove(name);
        _parameters.Add(new(name, value));
        return this;
    }

    private FhirQuery Remove(string name)
    {
        _parameters.RemoveAll(p => p.Key == name);
        return this;
    }
}
