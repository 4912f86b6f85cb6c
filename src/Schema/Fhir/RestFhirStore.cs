using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// FHIR access over REST to any FHIR R4 server, on an <see cref="HttpClient"/> from the factory (standard resilience:
/// retries of reads only, timeouts, breaker). Its GETs are parsed from the response's bytes (<see cref="FhirResponses"/>,
/// Firely's answer for anything but a 200 of FHIR JSON); its writes go through Firely's <see cref="FhirClient"/>.
/// </summary>
public sealed class RestFhirStore : IFhirStore, IDisposable
{
    public const string HttpClientName = "fhir";

    /// <summary>Stops a server that ignores <c>_offset</c> and never links a next page from looping us forever.</summary>
    private const int MaxPages = 1000;

    private readonly FhirClientSettings _clientSettings;
    private readonly FhirResponses _reads;
    private FhirClient? _writer;
    private readonly HttpClient _http;
    private readonly Uri _baseUri;
    private readonly int _pageSize;


    public RestFhirStore(IHttpClientFactory httpClientFactory, IHttpMessageHandlerFactory handlerFactory, CallerCredentials credentials, IOptions<FhirOptions> options)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _baseUri = new Uri(settings.BaseUrl!.TrimEnd('/') + "/");
        _pageSize = settings.PageSize;
        // Passing the caller's identity on: this store's own outermost handler adds the caller's token, then the
        // factory's pipeline (resilience, gateway identity as the fallback, telemetry). The factory owns that pipeline.
        _http = settings.UpstreamIdentity == UpstreamIdentity.Caller
            ? new HttpClient(new CallerTokenHandler(credentials, handlerFactory.CreateHandler(HttpClientName)), disposeHandler: true)
            : httpClientFactory.CreateClient(HttpClientName);
        _clientSettings = new FhirClientSettings
        {
            PreferredFormat = ResourceFormat.Json,
            VerifyFhirVersion = false,
            ReturnPreference = ReturnPreference.Representation,
            SerializationEngine = FhirJson.Engine,
        };
        _reads = new FhirResponses(_http, _baseUri, _clientSettings);
    }

    public Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Call(async () =>
        {
            var bundle = await GetBundleAsync(query, cancellationToken);
            var matches = Matches(bundle).ToList();
            return new FhirSearchPage(matches, bundle.Total)
            {
                Included = [.. bundle.Entry.Where(e => e.Resource is not null && e.Search?.Mode == Bundle.SearchEntryMode.Include).Select(e => e.Resource!)],
                HasMore = bundle.NextLink is not null || (bundle.Total is { } total && total > matches.Count + (ParseOffset(query) ?? 0)),
                HasWarnings = bundle.Entry.Any(e => e.Resource is OperationOutcome || e.Search?.Mode == Bundle.SearchEntryMode.Outcome),
            };
        });
    }

    public Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Call<IReadOnlyList<Resource>>(async () =>
        {
            var paged = query.Clone().Count(_pageSize);
            var results = new List<Resource>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var bundle = await GetBundleAsync(paged, cancellationToken);
            for (var page = 0; page < MaxPages; page++)
            {
                var fresh = Matches(bundle).Where(r => seen.Add(r.TypeName + "/" + r.Id)).ToList();
                results.AddRange(fresh);

                if (bundle.NextLink is not null)
                {
                    bundle = await _reads.NextPageAsync(bundle.NextLink, cancellationToken);
                    if (bundle is null)
                    {
                        break;
                    }
                }
                else if (fresh.Count > 0 && bundle.Entry.Count >= _pageSize && (bundle.Total is null || results.Count < bundle.Total))
                {
                    // No next link (Medplum's bare router, some proxies) but a full page: ask by offset.
                    bundle = await GetBundleAsync(paged.Offset(results.Count), cancellationToken);
                }
                else
                {
                    break;
                }
            }

            return results;
        });
    }

    /// <summary>
    /// <c>GET metadata</c>: the CapabilityStatement, or null when the server refuses the request (4xx) or answers it with
    /// something else (an engine without a metadata route may take it for a search). Unreachable or 5xx: it throws.
    /// </summary>
    public async Task<CapabilityStatement?> ReadCapabilitiesAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Call(() => _reads.GetAsync(new Uri(_baseUri, "metadata"), cancellationToken)) as CapabilityStatement;
        }
        catch (FhirException e) when (e is FhirRequestRejectedException or FhirResourceNotFoundException)
        {
            return null;
        }
    }

    public Task<Resource?> ReadAsync(FhirReference reference, CancellationToken cancellationToken) =>
        Call(async () =>
        {
            try
            {
                return await _reads.ReadAsync(new Uri(_baseUri, reference.ToString()), cancellationToken);
            }
            catch (FhirOperationException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                return null;
            }
        });

    public Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken)
        where T : Resource =>
        Call(async () => (await Writer.CreateAsync(resource, cancellationToken))!);

    public Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Versioned(ifMatchVersionId is not null, () => Call(async () =>
        {
            // Firely sends If-Match from meta.versionId when the update is version-aware.
            var copy = resource.DeepCopy();
            if (ifMatchVersionId is not null)
            {
                copy.Meta ??= new Meta();
                copy.Meta.VersionId = ifMatchVersionId;
            }

            return (await Writer.UpdateAsync(copy, versionAware: ifMatchVersionId is not null, cancellationToken))!;
        }));
    }

    public Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(ifNoneExist);
        return Call(async () =>
        {
            // Sent by hand: whether it was created is this response's status (Firely's LastResult is shared by every
            // request of the client, so reading it meant one conditional create at a time for the whole gateway).
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUri, resource.TypeName))
            {
                Content = new StringContent(FhirJson.Serialize(resource), System.Text.Encoding.UTF8, "application/fhir+json"),
            };
            request.Headers.TryAddWithoutValidation("If-None-Exist", ifNoneExist.ToRelativeUrl()[(ifNoneExist.ResourceType.Length + 1)..]);
            request.Headers.TryAddWithoutValidation("Prefer", "return=representation");
            request.Headers.Accept.ParseAdd("application/fhir+json");
            using var response = await _http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new FhirOperationException($"Conditional create of {resource.TypeName} answered {(int)response.StatusCode}.", response.StatusCode);
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var result = string.IsNullOrWhiteSpace(body) ? null : FhirJson.Parse(body) as T;
            if (result is null && FhirReference.TryParse(response.Headers.Location?.ToString(), out var location))
            {
                result = await Writer.ReadAsync<T>(new Uri(_baseUri, location.ToString()), ct: cancellationToken);
            }

            return (result ?? throw new FhirRequestRejectedException("The conditional create returned no resource."), response.StatusCode == HttpStatusCode.Created);
        });
    }

    public Task DeleteAsync(Resource current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        var reference = new FhirReference(current.TypeName, current.Id!);
        var ifMatchVersionId = current.Meta?.VersionId;
        return Call(async () =>
        {
            // Firely's delete takes no If-Match; a guarded delete is what keeps it from removing a slot booked meanwhile.
            using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(_baseUri, reference.ToString()));
            if (ifMatchVersionId is not null)
            {
                request.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{ifMatchVersionId}\"", isWeak: true));
            }

            using var response = await _http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode && response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.Gone))
            {
                throw new FhirOperationException($"DELETE {reference} answered {(int)response.StatusCode}.", response.StatusCode);
            }

            return true;
        });
    }

    public Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        return Versioned(writes.Any(w => w.IfMatchVersionId is not null), () => Call<IReadOnlyList<Resource>>(async () =>
        {
            var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
            foreach (var write in writes)
            {
                bundle.Entry.Add(write.IsDelete
                    ? new Bundle.EntryComponent
                    {
                        Request = new Bundle.RequestComponent
                        {
                            Method = Bundle.HTTPVerb.DELETE,
                            Url = write.Resource.TypeName + "/" + write.Resource.Id,
                            IfMatch = write.IfMatchVersionId is null ? null : $"W/\"{write.IfMatchVersionId}\"",
                        },
                    }
                    : write.IsCreate
                    ? new Bundle.EntryComponent
                    {
                        FullUrl = "urn:uuid:" + Guid.NewGuid(),
                        Resource = write.Resource,
                        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = write.Resource.TypeName },
                    }
                    : new Bundle.EntryComponent
                    {
                        FullUrl = new Uri(_baseUri, write.Resource.TypeName + "/" + write.Resource.Id).ToString(),
                        Resource = write.Resource,
                        Request = new Bundle.RequestComponent
                        {
                            Method = Bundle.HTTPVerb.PUT,
                            Url = write.Resource.TypeName + "/" + write.Resource.Id,
                            IfMatch = write.IfMatchVersionId is null ? null : $"W/\"{write.IfMatchVersionId}\"",
                        },
                    });
            }

            var response = await Writer.TransactionAsync(bundle, cancellationToken) ??
                throw new FhirRequestRejectedException("The transaction returned no Bundle.");
            var results = new List<Resource>(writes.Count);
            for (var i = 0; i < writes.Count; i++)
            {
                var entry = i < response.Entry.Count ? response.Entry[i] : null;
                if (entry?.Response?.Status is { } status && !status.StartsWith('2'))
                {
                    throw new FhirOperationException($"Transaction entry {i} answered {status}.", ParseStatus(status));
                }

                if (writes[i].IsDelete)
                {
                    // A deleted entry answers no resource: the result is the resource as it was deleted.
                    results.Add(writes[i].Resource);
                    continue;
                }

                results.Add(entry?.Resource ??
                    (FhirReference.TryParse(entry?.Response?.Location, out var location) ? await Writer.ReadAsync<Resource>(new Uri(_baseUri, location.ToString()), ct: cancellationToken) : null) ??
                    throw new FhirRequestRejectedException($"Transaction entry {i} returned no resource."));
            }

            return results;
        }));
    }

    /// <summary>
    /// A versioned write whose resource was deleted since it was read answers 404 or 410 on some servers (Medplum,
    /// in a transaction too), 412 on others: either way the version read is gone, a lost If-Match like any other.
    /// </summary>
    private static async Task<T> Versioned<T>(bool versioned, Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (FhirResourceNotFoundException e) when (versioned)
        {
            throw new FhirVersionConflictException("A resource written at the version read was deleted meanwhile.", e) { Status = e.Status, UpstreamDetail = e.UpstreamDetail };
        }
    }

    public void Dispose()
    {
        _writer?.Dispose();
    }

    /// <summary>
    /// Firely's client, for writes: made on the first one (the store lives for one operation, and most operations
    /// only read, which <see cref="FhirResponses"/> does without it).
    /// </summary>
    private FhirClient Writer
    {
        get
        {
            if (Volatile.Read(ref _writer) is { } writer)
            {
                return writer;
            }

            var made = new FhirClient(_baseUri, _http, _clientSettings);
            if (Interlocked.CompareExchange(ref _writer, made, null) is { } first)
            {
                made.Dispose();
                return first;
            }

            return made;
        }
    }

    private static HttpStatusCode ParseStatus(string status) =>
        int.TryParse(status.AsSpan(0, Math.Min(3, status.Length)), out var code) ? (HttpStatusCode)code : HttpStatusCode.BadRequest;

    private async Task<Bundle> GetBundleAsync(FhirQuery query, CancellationToken cancellationToken) =>
        await _reads.GetAsync(new Uri(_baseUri, query.ToRelativeUrl()), cancellationToken) as Bundle ??
        throw new FhirRequestRejectedException($"The FHIR server did not answer {query.ResourceType} search with a Bundle.");

    private static int? ParseOffset(FhirQuery query) =>
        int.TryParse(query.Get("_offset"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var offset) ? offset : null;

    private static IEnumerable<Resource> Matches(Bundle bundle) =>
        bundle.Entry
            .Where(e => e.Resource is not null && (e.Search?.Mode is null or Bundle.SearchEntryMode.Match))
            .Select(e => e.Resource!);

    /// <summary>Turns what the HTTP and FHIR layers throw into the gateway's typed FHIR exceptions.</summary>
    private static async Task<T> Call<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (FhirOperationException e)
        {
            // The server's own words stay out of the message: only admins and Development see them (UpstreamDetail).
            var detail = e.Outcome?.Issue.FirstOrDefault()?.Diagnostics ?? e.Message;
            var message = $"The FHIR server answered {(int)e.Status}.";
            throw e.Status switch
            {
                HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict =>
                    new FhirVersionConflictException(message, e) { Status = e.Status, UpstreamDetail = detail },
                HttpStatusCode.NotFound or HttpStatusCode.Gone =>
                    new FhirResourceNotFoundException(message, e) { Status = e.Status, UpstreamDetail = detail },
                >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests =>
                    new FhirUnavailableException(message, e) { Status = e.Status, UpstreamDetail = detail },
                _ => new FhirRequestRejectedException(message, e) { Status = e.Status, UpstreamDetail = detail },
            };
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                      or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            throw new FhirUnavailableException("The FHIR server could not be reached.", e);
        }
    }
}
