using System.Buffers;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Scheduling.Schema.Fhir.Reading;

/// <summary>
/// The gateway's FHIR JSON reader: the POCOs Firely's <see cref="FhirJson.JsonDeserializer"/> makes, from the same
/// bytes, without its per-object <c>HashSet&lt;string&gt;</c> and per-property name strings. Driven by Firely's own
/// <c>ClassMapping</c>s (<see cref="TypeTable"/>), so every R4 type is read by the same code.
/// <para>
/// It reads only JSON that Firely reads without recording an issue, the way Firely reads it. On anything else (an
/// unknown or wrongly cased name, a duplicate, a token of an unexpected kind, a null, an empty object or array, a
/// number Firely would store as another type, an escaped name, a <c>resourceType</c> that is not first, JSON that does
/// not parse) it gives up on the <b>whole body</b> and Firely's deserializer parses it from the start: what it returns
/// or throws, with its issues, paths and messages, is then Firely's by construction. A resource alone could not be
/// handed over that way (Firely's issues name their path from the root, and it throws once for the body), and the
/// gateway's own answers never need it (<c>FhirJsonReaderTests</c> asserts none of them falls back).
/// </para>
/// </summary>
public static class FhirJsonReader
{
    private static long _read;
    private static long _handedToFirely;

    /// <summary>How many bodies this process's reader made itself.</summary>
    public static long Read => Interlocked.Read(ref _read);

    /// <summary>How many bodies it handed to Firely's deserializer.</summary>
    public static long HandedToFirely => Interlocked.Read(ref _handedToFirely);

    /// <summary>What <see cref="PocoDeserializationExtensions.DeserializeResource(BaseFhirJsonDeserializer, ref Utf8JsonReader)"/> of <see cref="FhirJson.JsonDeserializer"/> returns or throws.</summary>
    public static Resource Deserialize(ref Utf8JsonReader reader)
    {
        var start = reader;
        if (TryRead(ref reader) is { } resource)
        {
            Interlocked.Increment(ref _read);
            return resource;
        }

        Interlocked.Increment(ref _handedToFirely);
        reader = start;
        return FhirJson.JsonDeserializer.DeserializeResource(ref reader);
    }

    /// <summary>What <see cref="FhirJson.Engine"/>'s <c>DeserializeFromJson</c> returns or throws for <paramref name="json"/>.</summary>
    public static Resource? Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > Array.MaxLength / 3)
        {
            // Its UTF-8 may not fit one array (GetMaxByteCount would throw outside FhirJson.Parse's catch): Firely's.
            Interlocked.Increment(ref _handedToFirely);
            return FhirJson.Engine.DeserializeFromJson(json);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(System.Text.Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var length = System.Text.Encoding.UTF8.GetBytes(json, buffer);
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length), SerializationUtil.FhirJsonReaderOptions);
            if (TryRead(ref reader) is { } resource)
            {
                Interlocked.Increment(ref _read);
                return resource;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Interlocked.Increment(ref _handedToFirely);
        return FhirJson.Engine.DeserializeFromJson(json);
    }

    /// <summary>The resource the reader makes of the JSON, or null where it leaves the body to Firely.</summary>
    public static Resource? TryRead(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, SerializationUtil.FhirJsonReaderOptions);
        return TryRead(ref reader);
    }

    /// <summary>What Firely's deserializer alone makes of the JSON (the reader's reference, for comparisons).</summary>
    public static Resource ByFirely(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, SerializationUtil.FhirJsonReaderOptions);
        return FhirJson.JsonDeserializer.DeserializeResource(ref reader);
    }

    private static Resource? TryRead(ref Utf8JsonReader reader)
    {
        if (!ReadsAsFirelyIsSet(FhirJson.JsonDeserializer.Settings))
        {
            return null;
        }

        try
        {
            if (reader.TokenType == JsonTokenType.None && !reader.Read())
            {
                return null;
            }

            return PocoReading.ReadResource(ref reader, typeof(Resource));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException
            or InvalidCastException or OverflowException or CodedException)
        {
            // Whatever Firely makes of it, it makes from the same bytes.
            return null;
        }
    }

    /// <summary>
    /// The settings this reader copies: no validator (so no issue of the model's rules, and names bound leniently,
    /// which the reader never relies on), no primitive value converter, no annotations. Set otherwise, Firely reads everything.
    /// </summary>
    private static bool ReadsAsFirelyIsSet(DeserializerSettings settings) =>
        settings is { Validator: null, PrimitiveValueConverter: null, AnnotateLineInfo: false, AnnotateResourceParseExceptions: false };
}
