using System.Net;
using System.Text;
using CsCheck;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// The REST store's GETs no longer go through Firely's client (<see cref="FhirResponses"/>): on every kind of answer a
/// FHIR server can give a GET (each status class, content types and charsets, bodies empty, broken, not JSON, not
/// UTF-8, with a BOM, XML, an OperationOutcome, a next page that is no Bundle), what they return or throw is exactly
/// what a <see cref="FhirClient"/> with the store's settings returned or threw for the same answer: the resource (as
/// its JSON), or the exception's type, message, status and outcome. The store's error mapping then sees what it saw.
/// </summary>
public sealed class FhirResponsesTests
{
    private static readonly Uri Base = new("http://fhir.test/fhir/");

    private static FhirClientSettings Settings() => new()
    {
        PreferredFormat = ResourceFormat.Json,
        VerifyFhirVersion = false,
        ReturnPreference = ReturnPreference.Representation,
        SerializationEngine = FhirJson.Engine,
    };

    private const string FhirJsonType = "application/fhir+json; charset=utf-8";

    private static readonly string SlotJson =
        "{\"resourceType\":\"Slot\",\"id\":\"s1\",\"meta\":{\"versionId\":\"1\"},\"schedule\":{\"reference\":\"Schedule/x\"},\"status\":\"free\"," +
        "\"start\":\"2026-01-01T09:00:00Z\",\"end\":\"2026-01-01T09:30:00Z\",\"comment\":\"Zoë's café ☕ 🗓\"}";

    private static readonly string BundleJson =
        "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":2,\"link\":[{\"relation\":\"next\",\"url\":\"http://fhir.test/fhir/Slot?_offset=2\"}]," +
        "\"entry\":[{\"fullUrl\":\"http://fhir.test/fhir/Slot/s1\",\"resource\":" + SlotJson + ",\"search\":{\"mode\":\"match\"}}," +
        "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\",\"bogus\":1,\"name\":[{\"family\":\"Ñandú\"}]},\"search\":{\"mode\":\"include\"}}," +
        "{\"resource\":{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"warning\",\"code\":\"informational\"}]},\"search\":{\"mode\":\"outcome\"}}]}";

    private static string Outcome(string diagnostics) =>
        "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"processing\",\"diagnostics\":\"" + diagnostics + "\"}]}";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Each answer, and whether the gateway parses it itself (true) or hands it to Firely's client.</summary>
    public static TheoryData<string, int, string?, byte[], bool> Answers() => new()
    {
        { "a search's Bundle", 200, FhirJsonType, Utf8(BundleJson), true },
        { "a resource, application/json without charset", 200, "application/json", Utf8(SlotJson), true },
        { "a resource, text/json and a quoted UTF-8 charset", 200, "text/json; charset=\"UTF-8\"", Utf8(SlotJson), false },
        { "white space around the body", 200, FhirJsonType, Utf8(" \r\n\t" + SlotJson + "\n "), true },
        { "a trailing comma and a comment", 200, FhirJsonType, Utf8(SlotJson[..^1] + ",/* note */}"), true },
        { "an unknown element, code and date", 200, FhirJsonType, Utf8(SlotJson.Replace("\"free\"", "\"nonsense\"", StringComparison.Ordinal).Replace("\"comment\"", "\"bogus\":2,\"comment\"", StringComparison.Ordinal)), true },
        { "an unknown resource type", 200, FhirJsonType, Utf8("{\"resourceType\":\"Nope\",\"id\":\"x\"}"), true },
        { "no resourceType", 200, FhirJsonType, Utf8("{\"id\":\"x\"}"), true },
        { "an empty object", 200, FhirJsonType, Utf8("{}"), true },
        { "JSON that breaks inside", 200, FhirJsonType, Utf8("{\"resourceType\":\"Slot\",\"id\":}"), false },
        { "JSON cut short", 200, FhirJsonType, Utf8("{\"resourceType\":\"Slot\",\"id\":"), false },
        { "a JSON array", 200, FhirJsonType, Utf8("[" + SlotJson + "]"), false },
        { "an empty key first", 200, FhirJsonType, Utf8("{\"\":1,\"resourceType\":\"Slot\"}"), false },
        { "a comment before the first key", 200, FhirJsonType, Utf8("{/* c */" + SlotJson[1..]), false },
        { "JSON with a UTF-8 byte order mark", 200, FhirJsonType, [0xEF, 0xBB, 0xBF, .. Utf8(SlotJson)], false },
        { "bytes that are not UTF-8 in a string", 200, FhirJsonType, Utf8(SlotJson).Select(b => b == (byte)'Z' ? (byte)0xFF : b).ToArray(), false },
        { "Latin-1 declared and sent", 200, "application/fhir+json; charset=iso-8859-1", Encoding.Latin1.GetBytes(SlotJson.Replace(" ☕ 🗓", "", StringComparison.Ordinal)), false },
        { "UTF-16 declared and sent", 200, "application/fhir+json; charset=utf-16", Encoding.Unicode.GetBytes(SlotJson), false },
        { "a non-breaking space before the body", 200, FhirJsonType, Utf8("\u00A0" + SlotJson), false },
        { "FHIR XML", 200, "application/fhir+xml", Utf8("<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"p\"/></Patient>"), false },
        { "an HTML page", 200, "text/html", Utf8("<html><body>Welcome</body></html>"), false },
        { "no content type", 200, null, Utf8(SlotJson), false },
        { "an empty 200", 200, FhirJsonType, [], false },
        { "an OperationOutcome with 200", 200, FhirJsonType, Utf8(Outcome("all is well")), true },
        { "201 with a resource", 201, FhirJsonType, Utf8(SlotJson), false },
        { "204", 204, null, [], false },
        { "400 with an OperationOutcome", 400, FhirJsonType, Utf8(Outcome("bad search parameter")), false },
        { "400 with a broken OperationOutcome", 400, FhirJsonType, Utf8("{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":}]}"), false },
        { "401 empty", 401, null, [], false },
        { "403 with an OperationOutcome", 403, "application/json", Utf8(Outcome("forbidden")), false },
        { "404 with an OperationOutcome", 404, FhirJsonType, Utf8(Outcome("Not found")), false },
        { "404 in plain text", 404, "text/plain", Utf8("no such thing"), false },
        { "410 empty", 410, FhirJsonType, [], false },
        { "412", 412, FhirJsonType, Utf8(Outcome("version")), false },
        { "429 in plain text", 429, "text/plain", Utf8("slow down"), false },
        { "500 with an HTML page", 500, "text/html", Utf8("<html>boom</html>"), false },
        { "503 with an OperationOutcome", 503, FhirJsonType, Utf8(Outcome("maintenance")), false },
        { "502 with JSON that is no resource", 502, "application/json", Utf8("{\"error\":\"upstream\"}"), false },
        { "a Patient", 200, FhirJsonType, Utf8("{\"resourceType\":\"Patient\",\"id\":\"p\",\"name\":[{\"family\":\"Ng\"}]}"), true },
        // What an upstream may send besides (review 10): content after the resource, a key twice, JSON nested past
        // the reader's depth, a number past a decimal, NULs, a huge body and one cut inside, a lone surrogate.
        { "a second object after the resource", 200, FhirJsonType, Utf8(SlotJson + "{\"resourceType\":\"Patient\",\"id\":\"p\"}"), true },
        { "a second resource after the resource, space between", 200, FhirJsonType, Utf8(SlotJson + " \n" + SlotJson.Replace("\"s1\"", "\"s2\"", StringComparison.Ordinal)), true },
        { "a stray closing brace", 200, FhirJsonType, Utf8(SlotJson + "}"), true },
        { "resourceType twice", 200, FhirJsonType, Utf8(SlotJson.Replace("{\"resourceType\":\"Slot\",", "{\"resourceType\":\"Slot\",\"resourceType\":\"Patient\",", StringComparison.Ordinal)), true },
        { "id twice", 200, FhirJsonType, Utf8(SlotJson.Replace("\"id\":\"s1\",", "\"id\":\"s1\",\"id\":\"s2\",", StringComparison.Ordinal)), false },
        { "resourceType not first", 200, FhirJsonType, Utf8("{\"id\":\"s1\",\"status\":\"free\",\"resourceType\":\"Slot\"}"), true },
        { "nested 30 deep", 200, FhirJsonType, Utf8(Nested(30)), true },
        { "nested 200 deep", 200, FhirJsonType, Utf8(Nested(200)), false },
        { "a number past a decimal", 200, FhirJsonType, Utf8("{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"valueQuantity\":{\"value\":1e400}}"), true },
        { "a NUL inside a string", 200, FhirJsonType, Utf8(SlotJson.Replace("\"free\"", "\"fr\\u0000ee\"", StringComparison.Ordinal)), true },
        { "raw NUL bytes after the body", 200, FhirJsonType, [.. Utf8(SlotJson), 0, 0, 0], false },
        { "a body of NULs", 200, FhirJsonType, new byte[4096], false },
        { "a huge Bundle (20 000 entries)", 200, FhirJsonType, Utf8(Huge(20_000)), true },
        { "a huge Bundle cut, then closed", 200, FhirJsonType, Utf8(Huge(2_000)[..100_000] + "}"), false },
        { "a lone surrogate escaped", 200, FhirJsonType, Utf8(SlotJson.Replace("\"free\"", "\"\\uD800\"", StringComparison.Ordinal)), false },
    };

    private static string Nested(int depth) =>
        "{\"resourceType\":\"Slot\",\"id\":\"s1\",\"extension\":[" + string.Concat(Enumerable.Repeat("{\"url\":\"http://x\",\"extension\":[", depth)) +
        "{\"url\":\"http://x\",\"valueString\":\"deep\"}" + string.Concat(Enumerable.Repeat("]}", depth)) + "]}";

    private static string Huge(int entries) =>
        "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[" +
        string.Join(",", Enumerable.Range(0, entries).Select(i => "{\"resource\":" + SlotJson.Replace("\"s1\"", $"\"s{i}\"", StringComparison.Ordinal) + "}")) + "]}";

    [Theory]
    [MemberData(nameof(Answers))]
    public async System.Threading.Tasks.Task A_search_GET_answers_as_Firelys_client_did(string kind, int status, string? contentType, byte[] body, bool parsedHere)
    {
        var url = new Uri(Base, "Slot?schedule=Schedule%2Fx&_count=50");
        var firely = await OutcomeAsync(status, contentType, body, http => new FhirClient(Base, http, Settings()).GetAsync(url));
        FhirResponses? reads = null;
        var now = await OutcomeAsync(status, contentType, body, http => (reads = new FhirResponses(http, Base, Settings())).GetAsync(url, CancellationToken.None));
        Assert.True(firely == now, $"{kind}:\n Firely: {firely}\n now:    {now}");
        Assert.Equal(parsedHere ? 0 : 1, reads!.HandedToFirely);
    }

    [Theory]
    [MemberData(nameof(Answers))]
    public async System.Threading.Tasks.Task A_read_answers_as_Firelys_client_did(string kind, int status, string? contentType, byte[] body, bool parsedHere)
    {
        var url = new Uri(Base, "Slot/s1");
        var firely = await OutcomeAsync(status, contentType, body, http => new FhirClient(Base, http, Settings()).ReadAsync<Resource>(url));
        FhirResponses? reads = null;
        var now = await OutcomeAsync(status, contentType, body, http => (reads = new FhirResponses(http, Base, Settings())).ReadAsync(url, CancellationToken.None));
        Assert.True(firely == now, $"{kind}:\n Firely: {firely}\n now:    {now}");
        Assert.Equal(parsedHere ? 0 : 1, reads!.HandedToFirely);
    }

    [Theory]
    [MemberData(nameof(Answers))]
    public async System.Threading.Tasks.Task A_next_page_answers_as_Firelys_client_did(string kind, int status, string? contentType, byte[] body, bool parsedHere)
    {
        foreach (var link in new[] { "http://fhir.test/fhir/Slot?_offset=50&_count=50", "Slot?_offset=50&_count=50" })
        {
            var current = new Bundle { Link = [new Bundle.LinkComponent { Relation = "next", Url = link }] };
            var firely = await OutcomeAsync(status, contentType, body, async http => await new FhirClient(Base, http, Settings()).ContinueAsync(current));
            FhirResponses? reads = null;
            var now = await OutcomeAsync(status, contentType, body, async http => await (reads = new FhirResponses(http, Base, Settings())).NextPageAsync(current.NextLink!, CancellationToken.None));
            Assert.True(firely == now, $"{kind}, next link {link}:\n Firely: {firely}\n now:    {now}");
            // A next page that parses to anything but a Bundle is Firely's to refuse.
            Assert.Equal(parsedHere && body.AsSpan().IndexOf("\"Bundle\""u8) >= 0 ? 0 : 1, reads!.HandedToFirely);
        }
    }

    [Fact]
    public void The_byte_probe_says_JSON_only_where_Firelys_regex_does_and_agrees_on_JSON_white_space()
    {
        Gen.Select(Gen.Int[0, 6], Gen.Int[0, 6], Gen.Char["{}\":ab é\n\t\u00A0,"].Array[0, 14],
                (before, after, middle) => new string(' ', before) + new string(middle) + new string('\n', after))
            .Sample(text =>
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                var firely = SerializationUtil.ProbeIsJson(text);
                var probe = FhirResponses.FirelyProbesAsJson(bytes);
                // Only JSON's own white space is read as such: a body with other white space goes to Firely's regex.
                return probe ? firely : !firely || text.Contains('\u00A0', StringComparison.Ordinal);
            }, iter: 20_000);
    }

    /// <summary>What <paramref name="get"/> made of the canned answer: its JSON, or what it threw, and the request it sent.</summary>
    private static async Task<string> OutcomeAsync(int status, string? contentType, byte[] body, Func<HttpClient, Task<Resource?>> get)
    {
        var handler = new Canned(status, contentType, body);
        using var http = new HttpClient(handler);
        string result;
        try
        {
            var resource = await get(http);
            result = "OK " + (resource is null ? "null" : new FhirJsonSerializer().SerializeToString(resource));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            result = $"threw {e.GetType().Name}: {e.Message} status={(e as FhirOperationException)?.Status} " +
                $"outcome={(e as FhirOperationException)?.Outcome?.Issue.FirstOrDefault()?.Diagnostics}";
        }

        return result + " | sent " + handler.Sent;
    }

    private sealed class Canned(int status, string? contentType, byte[] body) : HttpMessageHandler
    {
        public string? Sent { get; private set; }

        protected override System.Threading.Tasks.Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Sent = $"{request.Method} {request.RequestUri} Accept: {string.Join(",", request.Headers.Accept)}; Accept-Charset: {string.Join(",", request.Headers.AcceptCharset)}";
            var content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            return System.Threading.Tasks.Task.FromResult(new HttpResponseMessage((HttpStatusCode)status) { Content = content, RequestMessage = request });
        }
    }
}
