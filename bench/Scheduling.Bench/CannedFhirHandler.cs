using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;

namespace Scheduling.Bench;

/// <summary>
/// A FHIR server without a network: answers the gateway's GETs (its CapabilityStatement, reads and searches, with includes) from an
/// <see cref="InMemoryFhirStore"/> as FHIR JSON, computed once per URL and then replayed as the same bytes, so that
/// what a measurement sees is the gateway's own work (parse, execute, serialize), not the server's.
/// </summary>
internal sealed class CannedFhirHandler(InMemoryFhirStore store, Uri baseUrl) : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, byte[]> _answers = new(StringComparer.Ordinal);

    /// <summary>How many requests the gateway sent (every one answered from the canned bytes after the first).</summary>
    public int Requests;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Get || request.RequestUri is null)
        {
            return new HttpResponseMessage(HttpStatusCode.MethodNotAllowed) { RequestMessage = request };
        }

        Interlocked.Increment(ref Requests);
        var relative = baseUrl.MakeRelativeUri(request.RequestUri).OriginalString;
        if (!_answers.TryGetValue(relative, out var body))
        {
            var resource = await AnswerAsync(relative, cancellationToken);
            if (resource is null)
            {
                return new HttpResponseMessage(HttpStatusCode.NotFound) { RequestMessage = request };
            }

            body = _answers.GetOrAdd(relative, Encoding.UTF8.GetBytes(FhirJson.Serialize(resource)));
        }

        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/fhir+json") { CharSet = "utf-8" };
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
    }

    private async Task<Resource?> AnswerAsync(string relative, CancellationToken cancellationToken)
    {
        if (relative == "metadata")
        {
            // What the embedded store publishes: every reference parameter as an include and a reverse include, so
            // Fhir:Includes=Auto plans as it does over the embedded store (and over a server that lists them).
            return await store.ReadCapabilitiesAsync(cancellationToken);
        }

        var question = relative.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return FhirReference.TryParse(relative, out var reference) ? await store.ReadAsync(reference, cancellationToken) : null;
        }

        var query = new FhirQuery(relative[..question]);
        foreach (var pair in relative[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            query.WhereRaw(Uri.UnescapeDataString(pair[..equals]), Uri.UnescapeDataString(pair[(equals + 1)..]));
        }

        var page = await store.SearchAsync(query, cancellationToken);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = page.Total };
        bundle.Entry.AddRange(page.Resources.Select(r => Entry(r, Bundle.SearchEntryMode.Match)));
        bundle.Entry.AddRange(page.Included.Select(r => Entry(r, Bundle.SearchEntryMode.Include)));
        return bundle;
    }

    private Bundle.EntryComponent Entry(Resource resource, Bundle.SearchEntryMode mode) => new()
    {
        FullUrl = new Uri(baseUrl, resource.TypeName + "/" + resource.Id).ToString(),
        Resource = resource,
        Search = new Bundle.SearchComponent { Mode = mode },
    };
}
