using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// How the gateway reads and writes FHIR JSON with its server and its cache: Firely's System.Text.Json POCO engine,
/// built once, with exactly the error handling the <see cref="FhirClient"/> has by default (its
/// <see cref="DeserializerSettings.ExceptionFilter"/>: what it let through, this lets through; a body that is not JSON
/// is still refused) but without its per-object attribute validation. That validation cost three quarters of a
/// parse's allocations and changed nothing the gateway served: its findings (unknown elements, codes and dates that do
/// not parse, missing required elements) were all filtered out by that same filter, so the objects are identical
/// (<c>FhirJsonTests</c> compares them case by case). What the gateway does hold upstream resources to, it checks
/// itself: FHIR R4's cardinality (<see cref="FhirCardinality"/>), and typed values where a field reads them.
/// </summary>
public static class FhirJson
{
    /// <summary>What a <see cref="FhirClient"/> parses with when given no settings.</summary>
#pragma warning disable CS0618 // Obsolete as a setting to set; read here only to keep its error filter exactly.
    private static readonly DeserializerSettings ClientDefaults = new FhirClientSettings().ParserSettings ?? new DeserializerSettings();
#pragma warning restore CS0618

    /// <summary>
    /// The JSON deserializer of <see cref="Engine"/>: <see cref="RestFhirStore"/> feeds it a response's UTF-8 bytes
    /// directly (<see cref="FhirResponses"/>), the same bytes the engine would make of the body's text.
    /// </summary>
    internal static readonly BaseFhirJsonDeserializer JsonDeserializer = new(
        ModelInfo.ModelInspector,
        new FhirJsonConverterOptions
        {
            ExceptionFilter = ClientDefaults.ExceptionFilter,
            AllowUnrecognizedEnums = ClientDefaults.AllowUnrecognizedEnums,
            AcceptUnknownMembers = ClientDefaults.AcceptUnknownMembers,
            NarrativeValidation = ClientDefaults.NarrativeValidation,
            PrimitiveValueConverter = ClientDefaults.PrimitiveValueConverter,
            Validator = null,
        });

    /// <summary>
    /// The engine for <see cref="FhirClientSettings.SerializationEngine"/> and for the cache: what
    /// <see cref="FhirSerializationEngineFactory.Custom"/> builds, around <see cref="JsonDeserializer"/>.
    /// </summary>
    public static readonly IFhirSerializationEngine Engine = new PocoSerializationEngine(
        JsonDeserializer,
        new BaseFhirJsonSerializer(ModelInfo.ModelInspector),
        new BaseFhirXmlDeserializer(ModelInfo.ModelInspector, ClientDefaults with { Validator = null }),
        new BaseFhirXmlSerializer(ModelInfo.ModelInspector));

    /// <summary>
    /// A resource from FHIR JSON; what is not JSON, or not a resource, throws (see <see cref="IsRefusal"/>). Read by
    /// <see cref="Reading.FhirJsonReader"/>, which hands <see cref="Engine"/> every text it does not read as Firely does.
    /// </summary>
    public static Resource Parse(string json)
    {
        try
        {
            return Reading.FhirJsonReader.Deserialize(json) ?? throw new FormatException("The FHIR JSON holds no resource.");
        }
        catch (InvalidOperationException e)
        {
            // Firely's reader on JSON that is no object at all (an array, a number at the top).
            throw new FormatException("Not a FHIR resource: " + e.Message, e);
        }
    }

    public static string Serialize(Resource resource) => Engine.SerializeToJson(resource);

    /// <summary>Whether <paramref name="exception"/> is <see cref="Parse"/> refusing its text (not JSON, not a resource).</summary>
    public static bool IsRefusal(Exception exception) =>
        exception is DeserializationFailedException or FormatException or System.Text.Json.JsonException;
}
