using System.Globalization;
using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;
using Scheduling.Schema.Introspection;

namespace Scheduling.Schema.Common;

/// <summary>An instant as ISO-8601 with its offset (<c>2024-06-03T11:00:00-04:00</c>), as FHIR keeps it.</summary>
public sealed class IsoDateTimeGraphType : ScalarGraphType
{
    /// <summary>The GraphQL Scalars specification of an RFC 3339 date-time with a required offset.</summary>
    public const string SpecifiedByUrl = "https://scalars.graphql.org/andimarek/date-time";

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
        string text when TryParse(text, out var instant) => instant,
        _ => ThrowValueConversionError(value),
    };

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue text when TryParse((string)text.Value, out var instant) => instant,
        _ => ThrowLiteralConversionError(value),
    };

    public override bool CanParseLiteral(GraphQLValue value) =>
        value is GraphQLNullValue || (value is GraphQLStringValue text && TryParse((string)text.Value, out _));

    public override bool CanParseValue(object? value) =>
        value is null or DateTimeOffset || (value is string text && TryParse(text, out _));

    public static string Format(DateTimeOffset instant) =>
        instant.ToString(instant.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:sszzz" : "yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

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
