using System.Globalization;

namespace Scheduling.Schema.Common;

/// <summary>FHIR date-time text to and from <see cref="DateTimeOffset"/>, keeping the offset the server wrote.</summary>
public static class FhirTime
{
    public static DateTimeOffset? Parse(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value : null;

    public static string Format(DateTimeOffset value) =>
        value.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
}
