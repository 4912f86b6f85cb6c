using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// What the REST store makes of each kind of answer to its GETs (a read, a search, the CapabilityStatement), through its
/// real HTTP pipeline with the FHIR server replaced by a canned answer: not found is null, the typed FHIR exception
/// follows the status (5xx/429 unavailable, 412 a version conflict, other 4xx and a 200 that is no FHIR a refusal), the
/// server's diagnostics are kept for admins. Shapes Medplum cannot be made to give; <c>FhirResponsesTests</c> shows
/// the exceptions behind them are Firely's own.
/// </summary>
public sealed class RestFhirStoreAnswersTests
{
    private const string Json = "application/fhir+json";
    private const string Slot = "{\"resourceType\":\"Slot\",\"id\":\"s1\",\"schedule\":{\"reference\":\"Schedule/x\"},\"status\":\"free\",\"start\":\"2026-01-01T09:00:00Z\",\"end\":\"2026-01-01T09:30:00Z\"}";
    private const string Bundle = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{\"resource\":" + Slot + ",\"search\":{\"mode\":\"match\"}}]}";
    private const string Capabilities = "{\"resourceType\":\"CapabilityStatement\",\"status\":\"active\",\"kind\":\"instance\",\"fhirVersion\":\"4.0.1\",\"format\":[\"json\"]}";

    private static string Outcome(string diagnostics) =>
        "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"processing\",\"diagnostics\":\"" + diagnostics + "\"}]}";

    public static TheoryData<string, int, string?, string, string> Answers() => new()
    {
        { "read", 200, Json, Slot, "Slot/s1" },
        { "read", 404, Json, Outcome("gone"), "null" },
        { "read", 410, null, "", "null" },
        { "read", 500, "text/html", "<html>boom</html>", "FhirUnavailableException" },
        { "read", 503, Json, Outcome("maintenance"), "FhirUnavailableException: maintenance" },
        { "read", 429, "text/plain", "slow down", "FhirUnavailableException" },
        { "read", 400, Json, Outcome("bad id"), "FhirRequestRejectedException: bad id" },
        { "read", 401, null, "", "FhirRequestRejectedException" },
        { "read", 412, Json, Outcome("version"), "FhirVersionConflictException: version" },
        { "read", 200, "text/html", "<html>login</html>", "FhirRequestRejectedException" },
        { "search", 200, Json, Bundle, "Slot/s1" },
        { "search", 200, Json, Slot, "FhirRequestRejectedException" },
        { "search", 200, Json, "", "FhirRequestRejectedException" },
        { "search", 400, Json, Outcome("unknown parameter"), "FhirRequestRejectedException: unknown parameter" },
        { "search", 404, Json, Outcome("no such type"), "FhirResourceNotFoundException: no such type" },
        { "search", 502, "text/plain", "bad gateway", "FhirUnavailableException" },
        { "capabilities", 200, Json, Capabilities, "CapabilityStatement/" },
        { "capabilities", 200, Json, Bundle, "null" },
        { "capabilities", 403, Json, Outcome("forbidden"), "null" },
        { "capabilities", 404, null, "", "null" },
        { "capabilities", 500, Json, Outcome("down"), "FhirUnavailableException: down" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Each_answer_maps_to_its_typed_result(string operation, int status, string? contentType, string body, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = "http://fhir.test/fhir",
            ["Fhir:RetryCount"] = "0",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddFhirAccess();
        services.AddHttpClient(RestFhirStore.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new Canned(status, contentType, body));
        await using var provider = services.BuildServiceProvider();
        using var scope = provider.CreateScope();
        var store = scope.ServiceProvider.GetRequiredService<IFhirStore>();

        string outcome;
        try
        {
            var resource = operation switch
            {
                "read" => await store.ReadAsync(new FhirReference("Slot", "s1"), CancellationToken.None),
                "search" => (await store.SearchAsync(new FhirQuery("Slot"), CancellationToken.None)).Resources.Single(),
                _ => await store.ReadCapabilitiesAsync(CancellationToken.None),
            };
            outcome = resource is null ? "null" : resource.TypeName + "/" + resource.Id;
        }
        catch (FhirException e)
        {
            // The server's own diagnostics, where it gave some, are what admins see.
            outcome = e.GetType().Name + (e.UpstreamDetail is { } detail && body.Contains("\"diagnostics\":\"" + detail + "\"", StringComparison.Ordinal) ? ": " + detail : "");
            Assert.Equal(status == 200 ? HttpStatusCode.OK : (HttpStatusCode)status, e.Status ?? HttpStatusCode.OK);
        }

        Assert.Equal(expected, outcome);
    }

    [Fact]
    public async Task Searching_all_follows_next_links_absolute_and_relative_until_none()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fhir:BaseUrl"] = "http://fhir.test/fhir",
            ["Fhir:RetryCount"] = "0",
            ["Fhir:PageSize"] = "10",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddFhirAccess();
        var pages = new Paged();
        services.AddHttpClient(RestFhirStore.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => pages);
        await using var provider = services.BuildServiceProvider();
        using var scope = provider.CreateScope();

        var all = await scope.ServiceProvider.GetRequiredService<IFhirStore>().SearchAllAsync(new FhirQuery("Slot"), CancellationToken.None);

        Assert.Equal(["s1", "s2", "s3", "s4", "s5"], all.Select(r => r.Id));
        Assert.Equal(["/fhir/Slot?_count=10", "/fhir/Slot?page=2", "/fhir/Slot?page=3"], pages.Asked);
    }

    /// <summary>Three pages of slots: the first links the second absolutely, the second the third relatively, the third none.</summary>
    private sealed class Paged : HttpMessageHandler
    {
        public List<string> Asked { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var asked = request.RequestUri!.PathAndQuery;
            Asked.Add(asked);
            var (ids, next) = asked.EndsWith("page=3", StringComparison.Ordinal) ? (new[] { "s5" }, null)
                : asked.EndsWith("page=2", StringComparison.Ordinal) ? (new[] { "s3", "s4" }, "Slot?page=3")
                : (new[] { "s1", "s2" }, "http://fhir.test/fhir/Slot?page=2");
            var body = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"" +
                (next is null ? "" : ",\"link\":[{\"relation\":\"next\",\"url\":\"" + next + "\"}]") +
                ",\"entry\":[" + string.Join(",", ids.Select(id => "{\"resource\":" + Slot.Replace("\"s1\"", "\"" + id + "\"", StringComparison.Ordinal) + "}")) + "]}";
            var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }

    private sealed class Canned(int status, string? contentType, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            return Task.FromResult(new HttpResponseMessage((HttpStatusCode)status) { Content = content, RequestMessage = request });
        }
    }
}
