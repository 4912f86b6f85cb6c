using System.Globalization;

namespace Scheduling.Schema.Booking;

/// <summary>
/// An instant written as ISO-8601 with its offset (<c>2024-06-03T11:00:00-04:00</c>, milliseconds only when it has
/// them), as FHIR keeps it: the one format of the booking core's messages and of the GraphQL <c>DateTime</c> scalar.
/// </summary>
public static class InstantText
{
    public static string Iso(DateTimeOffset instant) =>
        instant.ToString(instant.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:sszzz" : "yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
}
