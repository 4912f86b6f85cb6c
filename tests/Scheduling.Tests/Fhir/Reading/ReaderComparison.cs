using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.Reading;

namespace Scheduling.Tests.Fhir.Reading;

/// <summary>
/// One body through Firely's deserializer and through <see cref="FhirJsonReader"/>: the same resource (<see cref="PocoTrees"/>
/// node by node, the stored value and its .NET type at every node, and Firely's JSON of it byte for byte) or the same
/// exception (type and message). Firely reads each body once where it can: a body it reads without any issue
/// unfiltered is what it makes with the gateway's filter too (the filter only decides which issues throw).
/// <see cref="ComparerExtensions.IsExactly"/> is not asked: a tree equal node by node is exactly equal.
/// </summary>
internal static class ReaderComparison
{
    /// <summary>Firely's deserializer with the gateway's settings but reporting every issue (no filter).</summary>
    private static readonly BaseFhirJsonDeserializer UnfilteredFirely = new(
        Hl7.Fhir.Model.ModelInfo.ModelInspector, FhirJson.JsonDeserializer.Settings with { ExceptionFilter = null });

    /// <param name="ReadByUs">Whether the reader made it itself (else Firely did).</param>
    /// <param name="FirelyThrew">Whether Firely refused it.</param>
    /// <param name="FirelyIssue">The first issue Firely records reading it, even one the gateway's filter lets through; null if none.</param>
    /// <param name="Failure">How the two differ; null if they do not.</param>
    public sealed record Result(bool ReadByUs, bool FirelyThrew, string? FirelyIssue, string? Failure);

    public static Result Compare(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var (unfiltered, issue) = Unfiltered(bytes);
        var firely = unfiltered is not null ? (unfiltered, null) : Outcome(() =>
        {
            var reader = new Utf8JsonReader(bytes, SerializationUtil.FhirJsonReaderOptions);
            return FhirJson.JsonDeserializer.DeserializeResource(ref reader);
        });
        var ours = Outcome(() =>
        {
            var reader = new Utf8JsonReader(bytes, SerializationUtil.FhirJsonReaderOptions);
            return FhirJsonReader.Deserialize(ref reader);
        });
        var readByUs = FhirJsonReader.TryRead(bytes) is not null;
        return new(readByUs, firely.Error is not null, issue, Failure(firely, ours));
    }

    private static string? Failure((Resource? Resource, Exception? Error) firely, (Resource? Resource, Exception? Error) ours)
    {
        if (firely.Error is not null || ours.Error is not null)
        {
            return firely.Error?.GetType() == ours.Error?.GetType() && firely.Error?.Message == ours.Error?.Message
                ? null
                : $"Firely: {firely.Error?.GetType().Name} {firely.Error?.Message}; ours: {ours.Error?.GetType().Name} {ours.Error?.Message}";
        }

        var (left, right) = (Text(firely.Resource!), Text(ours.Resource!));
        if (PocoTrees.Difference(firely.Resource, ours.Resource) is { } difference)
        {
            return $"POCO trees differ at {difference}\nFirely {left}\nours {right}";
        }

        return left == right ? null : $"JSON differs: Firely {left}\nours {right}";
    }

    /// <summary>What Firely makes of the body reporting every issue: the resource when it records none, else the first issue.</summary>
    private static (Resource? Resource, string? Issue) Unfiltered(byte[] bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes, SerializationUtil.FhirJsonReaderOptions);
            return UnfilteredFirely.TryDeserializeResource(ref reader, out var resource, out var issues) && resource is not null
                ? (resource, null)
                : (null, issues.First().Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, e.GetType().Name + " " + e.Message);
        }
    }

    private static string Text(Resource resource)
    {
        try
        {
            return FhirJson.Serialize(resource);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or InvalidCastException or CodedException)
        {
            return "(Firely cannot write it: " + e.GetType().Name + " " + e.Message + ")";
        }
    }

    private static (Resource? Resource, Exception? Error) Outcome(Func<Resource> parse)
    {
        try
        {
            return (parse(), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, e);
        }
    }
}
