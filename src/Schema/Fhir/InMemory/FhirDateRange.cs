using System.Globalization;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir.InMemory;

/// <summary>
/// The time a FHIR date value covers: <c>2024-06-03</c> is the whole day, an instant is one point.
/// Search prefixes compare these ranges as the FHIR search spec describes.
/// </summary>
internal readonly record struct FhirDateRange(DateTimeOffset Start, DateTimeOffset End)
{
    private static readonly string[] DateFormats = ["yyyy", "yyyy-MM", "yyyy-MM-dd"];

    /// <summary>Parses a search value or element value; values without an offset are taken as UTC.</summary>
    public static bool TryParse(string? text, out FhirDateRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (DateTime.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            var start = new DateTimeOffset(date, TimeSpan.Zero);
            var end = text.Length switch
            {
                4 => start.AddYears(1),
                7 => start.AddMonths(1),
                _ => start.AddDays(1),
            };
            range = new FhirDateRange(start, end.AddTicks(-1));
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var instant))
        {
            // Precision of the text: a value to the second covers that second.
            var hasFraction = text.Contains('.', StringComparison.Ordinal);
            range = new FhirDateRange(instant, hasFraction ? instant : instant.AddSeconds(1).AddTicks(-1));
            return true;
        }

        return false;
    }

    public static FhirDateRange? FromElement(Base element)
    {
        switch (element)
        {
            case Period period:
                var hasStart = TryParse(period.Start, out var start);
                var hasEnd = TryParse(period.End, out var end);
                if (!hasStart && !hasEnd)
                {
                    return null;
                }

                return new FhirDateRange(hasStart ? start.Start : DateTimeOffset.MinValue, hasEnd ? end.End : DateTimeOffset.MaxValue);
            case PrimitiveType primitive when TryParse(primitive.ToString(), out var value):
                return value;
            default:
                return null;
        }
    }

    /// <summary>Does a target value match this search value under a FHIR prefix?</summary>
    public bool Matches(string prefix, FhirDateRange target) => prefix switch
    {
        "eq" => target.Start >= Start && target.End <= End,
        "ne" => !(target.Start >= Start && target.End <= End),
        "gt" => target.End > End,
        "lt" => target.Start < Start,
        "ge" => target.End >= Start,
        "le" => target.Start <= End,
        "sa" => target.Start > End,
        "eb" => target.End < Start,
        _ => false,
    };
}
