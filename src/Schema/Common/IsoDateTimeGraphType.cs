using System.Globalization;
using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Introspection;

namespace Scheduling.Schema.Common;

/// <summary>An instant as ISO-8601 with its offset (<c>2024-06-03T11:00:00-04:00</c>), as FHIR keeps it.</summary>
public sealed class IsoDateTimeGraphType : ScalarGraphType
{
    /// <summary>The GraphQL Scalars specification of an RFC 3339 date-time with a required offset.</summary>
    public const string SpecifiedByUrl = "https://scalars.graphql.org/andimarek/date-time";

    /// <summary>A date and time without an offset or Z: refused, with a message that says so.</summary>
    public const string OffsetMissingCode = "DATETIME_OFFSET_MISSING";

    /// <summary>Anything else that is not an ISO-8601 date-time with an offset.</summary>
    public const string InvalidCode = "INVALID_DATETIME";

    private static readonly string[] LocalFormats =
        ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];

    public IsoDateTimeGraphType()
    {
        Name = "DateTime";
        Description = "An instant in ISO-8601 with a UTC offset, e.g. 2024-06-03T11:00:00-04:00.";
        this.ApplyDirective(SpecifiedByDirective.DirectiveName, SpecifiedByDirective.UrlArgument, SpecifiedByUrl);
    }

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        DateTimeOffset instant => Format(instant),
        string text when TryParse(text, out var instant) => Format(instant),
        _ => ThrowSerializationError(value),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        DateTimeOffset instant => instant,
        string text => Parse(text),
        _ => ThrowValueConversionError(value),
    };

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue text => Parse((string)text.Value),
        _ => ThrowLiteralConversionError(value),
    };

    /// <summary>Any string literal: its format is checked by <see cref="ParseLiteral"/>, whose error says what is wrong with it.</summary>
    public override bool CanParseLiteral(GraphQLValue value) => value is GraphQLNullValue or GraphQLStringValue;

    public override bool CanParseValue(object? value) =>
        value is null or DateTimeOffset || (value is string text && TryParse(text, out _));

    public static string Format(DateTimeOffset instant) => InstantText.Iso(instant);

    private static DateTimeOffset Parse(string text)
    {
        if (TryParse(text, out var instant))
        {
            return instant;
        }

        var shown = text.Length <= 40 ? text : text[..40] + "…";
        throw DateTime.TryParseExact(text, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? new ScalarInputException(OffsetMissingCode,
                $"DateTime '{shown}' has no UTC offset: add one, e.g. 2024-06-03T11:00:00-04:00 or 2024-06-03T15:00:00Z (a time means nothing without its time zone).")
            : new ScalarInputException(InvalidCode,
                $"'{shown}' is not a DateTime: expected ISO-8601 with a UTC offset, e.g. 2024-06-03T11:00:00-04:00 or 2024-06-03T15:00:00Z.");
    }

    /// <summary>Only full date-times with an explicit offset or Z: "11:00" alone is ambiguous across time zones.</summary>
    private static bool TryParse(string text, out DateTimeOffset instant)
    {
        instant = default;
        if (text.Length < 20 || text[10] != 'T' ||
            !(text.EndsWith('Z') || text[^6] is '+' or '-'))
        {
            return false;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }
}
