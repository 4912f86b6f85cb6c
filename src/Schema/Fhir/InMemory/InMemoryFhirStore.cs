using System.Globalization;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Fhir.InMemory;

/// <summary>
/// The embedded FHIR store: what the gateway runs on when no <c>Fhir:BaseUrl</c> is set. Every write gets a new
/// <c>meta.versionId</c> and <c>meta.lastUpdated</c>, and an update with If-Match on a stale version fails
/// exactly as a FHIR server's 412 does. Resources are copied in and out, so callers never share state.
/// </summary>
public sealed class InMemoryFhirStore : IFhirStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Resource>> _resources = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _sequence;

    public InMemoryFhirStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    public Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var matches = Match(query);
        var offset = ParseInt(query.Get("_offset")) ?? 0;
        var count = ParseInt(query.Get("_count"));
        var page = matches.Skip(offset).Take(count ?? int.MaxValue).ToList();
        return Task.FromResult(new FhirSearchPage(page, matches.Count));
    }

    public Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Task.FromResult<IReadOnlyList<Resource>>(Match(query));
    }

    public Task<Resource?> ReadAsync(FhirReference reference, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var found = _resources.TryGetValue(reference.ResourceType, out var byId) && byId.TryGetValue(reference.Id, out var resource)
                ? resource.DeepCopy()
                : null;
            return Task.FromResult(found);
        }
    }

    public Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        var copy = resource.DeepCopy();
        lock (_gate)
        {
            var byId = Table(copy.TypeName);
            copy.Id = FhirReference.IsValidId(copy.Id) && !byId.ContainsKey(copy.Id) ? copy.Id : NewId();
            Stamp(copy, version: 1);
            byId[copy.Id] = copy;
            return Task.FromResult(copy.DeepCopy());
        }
    }

    public Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (!FhirReference.IsValidId(resource.Id))
        {
            throw new FhirRequestRejectedException("An update needs the resource's id.");
        }

        var copy = resource.DeepCopy();
        lock (_gate)
        {
            var byId = Table(copy.TypeName);
            byId.TryGetValue(resource.Id!, out var current);
            if (ifMatchVersionId is not null && current?.Meta?.VersionId != ifMatchVersionId)
            {
                throw new FhirVersionConflictException(
                    $"{copy.TypeName}/{copy.Id} is at version {current?.Meta?.VersionId ?? "none"}, not {ifMatchVersionId}.");
            }

            var version = current is null ? 1 : int.Parse(current.Meta?.VersionId ?? "0", CultureInfo.InvariantCulture) + 1;
            Stamp(copy, version);
            byId[resource.Id!] = copy;
            return Task.FromResult(copy.DeepCopy());
        }
    }

    private List<Resource> Match(FhirQuery query)
    {
        List<Resource> candidates;
        lock (_gate)
        {
            candidates = _resources.TryGetValue(query.ResourceType, out var byId) ? [.. byId.Values] : [];
        }

        // Matching works on the stored objects (never handed out); results are copied.
        var matches = candidates.Where(r => InMemorySearch.Matches(r, query));
        return [.. InMemorySearch.Sort(matches, query.Get("_sort")).Select(r => r.DeepCopy())];
    }

    private Dictionary<string, Resource> Table(string type)
    {
        if (!_resources.TryGetValue(type, out var byId))
        {
            byId = new Dictionary<string, Resource>(StringComparer.Ordinal);
            _resources[type] = byId;
        }

        return byId;
    }

    private void Stamp(Resource resource, int version)
    {
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = _time.GetUtcNow();
    }

    private string NewId() => Interlocked.Increment(ref _sequence).ToString("x", CultureInfo.InvariantCulture) + "-" +
        Guid.NewGuid().ToString("N")[..12];

    private static int? ParseInt(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
