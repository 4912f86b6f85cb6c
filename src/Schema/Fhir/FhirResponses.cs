using System.Net;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// The REST store's GETs (reads, searches, next pages, the CapabilityStatement), sent on the store's own
/// <see cref="HttpClient"/> (its resilience pipeline, identity and telemetry) and parsed from the response's bytes.
/// <para>
/// Firely's client read a body three times over before parsing it: into a byte array, then twice into a string (one
/// for its record of the response, one to parse, after a regex probe of the whole text), and its parser then wrote the
/// string back into UTF-8. Here a 200 answer of FHIR JSON in UTF-8 (the answer to nearly every GET) goes from the
/// response's stream, read once into a pooled array, straight into <see cref="Reading.FhirJsonReader"/> (the POCOs of
/// the same <see cref="FhirJson.JsonDeserializer"/>, which it hands every body it does not read as Firely does) with
/// the same reader options: the bytes are the ones Firely's parser would have read, so the resource is the same. The
/// request is sent for its headers only and the body read straight into that array (<see cref="ResponseBytes"/>).
/// </para>
/// <para>
/// Every other answer (another status, content type or charset, a body that is empty, not UTF-8, not what Firely's
/// JSON probe accepts, or that fails to parse; a next page that is no Bundle) is handed, as received, to a
/// <see cref="FhirClient"/> with the store's settings, so what it returns or throws is Firely's own: the error mapping
/// of <see cref="RestFhirStore"/> sees exactly the exceptions it saw before (<c>FhirResponsesTests</c> compares the
/// two on each kind of answer).
/// </para>
/// </summary>
internal sealed class FhirResponses(HttpClient http, Uri baseUri, FhirClientSettings settings)
{
    private int _handedToFirely;

    /// <summary>How many answers this has handed to Firely's client (every one but a 200 of FHIR JSON that parses).</summary>
    public int HandedToFirely => Volatile.Read(ref _handedToFirely);

    private enum Expecting
    {
        AnyResource,
        Read,
        NextPage,
    }

    /// <summary>A GET of <paramref name="url"/>: what <see cref="BaseFhirClient.GetAsync(Uri, CancellationToken?)"/> returned.</summary>
    public Task<Resource?> GetAsync(Uri url, CancellationToken cancellationToken) => SendAsync(url, Expecting.AnyResource, cancellationToken);

    /// <summary>A read of <paramref name="url"/> (<c>Type/id</c>): what <c>FhirClient.ReadAsync&lt;Resource&gt;</c> returned.</summary>
    public Task<Resource?> ReadAsync(Uri url, CancellationToken cancellationToken) => SendAsync(url, Expecting.Read, cancellationToken);

    /// <summary>The page a Bundle's next link names: what <see cref="BaseFhirClient.ContinueAsync"/> returned.</summary>
    public async Task<Bundle?> NextPageAsync(Uri nextLink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nextLink);
        var url = nextLink.IsAbsoluteUri ? nextLink : HttpUtil.MakeAbsoluteToBase(nextLink, baseUri);
        return (Bundle?)await SendAsync(url, Expecting.NextPage, cancellationToken);
    }

    private async Task<Resource?> SendAsync(Uri url, Expecting expecting, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        // What Firely's client asks for (ResourceFormat.Json, no FHIR version in the header).
        request.Headers.TryAddWithoutValidation("Accept", ContentType.JSON_CONTENT_HEADER);
        request.Headers.TryAddWithoutValidation("Accept-Charset", "utf-8");
        // Headers only: the body is read here, once, into a pooled array (HttpClient's default buffered it into a
        // stream of its own first, which this then copied again).
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK && IsUtf8FhirJson(response.Content.Headers.ContentType))
        {
            using var body = await ResponseBytes.ReadAsync(response, http.Timeout, cancellationToken);
            if (TryParse(body.Span) is { } resource && (expecting != Expecting.NextPage || resource is Bundle))
            {
                return resource;
            }

            // Firely reads the answer as it came: the same status and headers, the same bytes.
            body.HandBack(response);
        }

        return await AsFirelyAnswersAsync(response, url, expecting, cancellationToken);
    }

    /// <summary>The resource of a body of FHIR JSON in UTF-8 that parses as Firely would, or null for anything else.</summary>
    private static Resource? TryParse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty || !System.Text.Unicode.Utf8.IsValid(body) || !FirelyProbesAsJson(body))
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(body, SerializationUtil.FhirJsonReaderOptions);
            return Reading.FhirJsonReader.Deserialize(ref reader);
        }
        catch (Exception e) when (e is DeserializationFailedException or JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            // Firely's client, handed the same answer, throws its own exception for it.
            return null;
        }
    }

    /// <summary>
    /// Whether Firely reads a body of this type as JSON text in UTF-8: one of its JSON media types, and no charset but
    /// UTF-8 (its text decoder takes UTF-8 when none is named; a body in another charset goes to Firely).
    /// </summary>
    private static bool IsUtf8FhirJson(System.Net.Http.Headers.MediaTypeHeaderValue? type)
    {
        if (type?.MediaType is not { } mediaType || (type.CharSet is { } charSet && !charSet.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        foreach (var json in ContentType.JSON_CONTENT_HEADERS)
        {
            if (mediaType.Equals(json, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Firely's <see cref="SerializationUtil.ProbeIsJson"/> (<c>^\s*(\{\s*("[^"]+"\s*:.*)?\})\s*$</c>, a regex over
    /// the whole text) on the bytes, for bodies whose white space is JSON's: true only where that regex matches. A
    /// body it says no to goes to Firely, which probes the text itself.
    /// </summary>
    internal static bool FirelyProbesAsJson(ReadOnlySpan<byte> body)
    {
        var start = SkipSpace(body, 0);
        var end = body.Length - 1;
        while (end >= 0 && IsSpace(body[end]))
        {
            end--;
        }

        if (start >= end || body[start] != (byte)'{' || body[end] != (byte)'}')
        {
            return false;
        }

        var key = SkipSpace(body, start + 1);
        if (key == end)
        {
            return true;
        }

        if (body[key] != (byte)'"')
        {
            return false;
        }

        var close = body[(key + 1)..end].IndexOf((byte)'"');
        if (close <= 0)
        {
            return false;
        }

        var colon = SkipSpace(body, key + 1 + close + 1);
        return colon < end && body[colon] == (byte)':';
    }

    private static int SkipSpace(ReadOnlySpan<byte> body, int from)
    {
        while (from < body.Length && IsSpace(body[from]))
        {
            from++;
        }

        return from;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    /// <summary>The answer as Firely's client makes it: a <see cref="FhirClient"/> with the store's settings, handed this response.</summary>
    private async Task<Resource?> AsFirelyAnswersAsync(HttpResponseMessage response, Uri url, Expecting expecting, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _handedToFirely);
        using var replay = new HttpClient(new Replay(response), disposeHandler: true);
        using var client = new FhirClient(baseUri, replay, settings);
        return expecting switch
        {
            Expecting.Read => await client.ReadAsync<Resource>(url, ct: cancellationToken),
            Expecting.NextPage => await client.ContinueAsync(
                new Bundle { Link = [new Bundle.LinkComponent { Relation = "next", Url = url.OriginalString }] }, PageDirection.Next, cancellationToken),
            _ => await client.GetAsync(url, cancellationToken),
        };
    }

    /// <summary>Answers the one request Firely sends with the response already received.</summary>
    private sealed class Replay(HttpResponseMessage response) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            System.Threading.Tasks.Task.FromResult(response);
    }
}
