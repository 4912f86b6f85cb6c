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
    private static readonly Lazy<CapabilityStatement> Capabilities = new(() => IncludeSupport.StatementForEveryReferenceParameter("Scheduling gateway embedded store"));

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Resource>> _resources = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _sequence;

    public InMemoryFhirStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    public Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var matches = MatchStored(query);
        var offset = ParseInt(query.Get("_offset")) ?? 0;
        var count = ParseInt(query.Get("_count"));
        // Only the page leaves the store, so only the page is copied.
        var stored = matches.Skip(offset).Take(count ?? int.MaxValue).ToList();
        var included = InMemoryIncludes.Resolve(stored, FhirInclude.Of(query), ReadStored, OfTypeStored);
        return Task.FromResult(new FhirSearchPage([.. stored.Select(r => r.DeepCopy())], matches.Count)
        {
            Included = [.. included.Select(r => r.DeepCopy())],
            HasMore = offset + stored.Count < matches.Count,
        });
    }

    public Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Task.FromResult<IReadOnlyList<Resource>>(Match(query));
    }

    /// <summary>It answers every reference parameter as an include and a reverse include, and says so.</summary>
    public Task<CapabilityStatement?> ReadCapabilitiesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<CapabilityStatement?>((CapabilityStatement)Capabilities.Value.DeepCopy());

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
        lock (_gate)
        {
            return Task.FromResult((T)CreateLocked(resource).DeepCopy());
        }
    }

    public Task<T> UpdateAsync<T>(T resource, string? ifMatchVersionId, CancellationToken cancellationToken)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_gate)
        {
            CheckVersion(resource, ifMatchVersionId);
            return Task.FromResult((T)UpdateLocked(resource).DeepCopy());
        }
    }

    public Task<(T Resource, bool Created)> CreateIfNoneExistAsync<T>(T resource, FhirQuery ifNoneExist, CancellationToken cancellationToken)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(ifNoneExist);
        lock (_gate)
        {
            var existing = Match(ifNoneExist);
            if (existing.Count > 1)
            {
                throw new FhirRequestRejectedException("The conditional create's criteria match more than one resource.");
            }

            return Task.FromResult(existing.Count == 1
                ? ((T)existing[0], false)
                : ((T)CreateLocked(resource).DeepCopy(), true));
        }
    }

    public Task DeleteAsync(Resource current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        var reference = new FhirReference(current.TypeName, current.Id!);
        var ifMatchVersionId = current.Meta?.VersionId;
        lock (_gate)
        {
            if (_resources.TryGetValue(reference.ResourceType, out var byId) && byId.TryGetValue(reference.Id, out var stored))
            {
                if (ifMatchVersionId is not null && stored.Meta?.VersionId != ifMatchVersionId)
                {
                    throw new FhirVersionConflictException($"{reference} is at version {stored.Meta?.VersionId}, not {ifMatchVersionId}.");
                }

                byId.Remove(reference.Id);
            }

            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<Resource>> TransactionAsync(IReadOnlyList<FhirWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        lock (_gate)
        {
            // All preconditions first: a transaction writes everything or nothing.
            foreach (var write in writes.Where(w => !w.IsCreate))
            {
                CheckVersion(write.Resource, write.IfMatchVersionId);
            }

            return Task.FromResult<IReadOnlyList<Resource>>(
                [.. writes.Select(w => (w.IsDelete ? DeleteLocked(w.Resource) : w.IsCreate ? CreateLocked(w.Resource) : UpdateLocked(w.Resource)).DeepCopy())]);
        }
    }

    private Resource CreateLocked(Resource resource)
    {
        var copy = resource.DeepCopy();
        var byId = Table(copy.TypeName);
        copy.Id = FhirReference.IsValidId(copy.Id) && !byId.ContainsKey(copy.Id) ? copy.Id : NewId();
        Stamp(copy, version: 1);
        byId[copy.Id] = copy;
        return copy;
    }

    /// <summary>Removes the stored resource; answers it as it was (a deleted entry's result).</summary>
    private Resource DeleteLocked(Resource resource)
    {
        var byId = Table(resource.TypeName);
        var stored = byId.GetValueOrDefault(resource.Id!) ?? resource;
        byId.Remove(resource.Id!);
        return stored;
    }

    private void CheckVersion(Resource resource, string? ifMatchVersionId)
    {
        if (!FhirReference.IsValidId(resource.Id))
        {
            throw new FhirRequestRejectedException("An update needs the resource's id.");
        }

        var current = Table(resource.TypeName).GetValueOrDefault(resource.Id);
        if (ifMatchVersionId is not null && current?.Meta?.VersionId != ifMatchVersionId)
        {
            throw new FhirVersionConflictException(
                $"{resource.TypeName}/{resource.Id} is at version {current?.Meta?.VersionId ?? "none"}, not {ifMatchVersionId}.");
        }
    }

    private Resource UpdateLocked(Resource resource)
    {
        var copy = resource.DeepCopy();
        var byId = Table(copy.TypeName);
        var current = byId.GetValueOrDefault(resource.Id!);
        var version = current is null ? 1 : int.Parse(current.Meta?.VersionId ?? "0", CultureInfo.InvariantCulture) + 1;
        Stamp(copy, version);
        byId[resource.Id!] = copy;
        return copy;
    }

    private List<Resource> Match(FhirQuery query) => [.. MatchStored(query).Select(r => r.DeepCopy())];

    /// <summary>The stored objects that match, sorted: never handed out (stored objects are replaced, never mutated).</summary>
    private List<Resource> MatchStored(FhirQuery query)
    {
        List<Resource> candidates;
        lock (_gate)
        {
            candidates = _resources.TryGetValue(query.ResourceType, out var byId) ? [.. byId.Values] : [];
        }

        return [.. InMemorySearch.Sort(candidates.Where(r => InMemorySearch.Matches(r, query)), query.Get("_sort"))];
    }

    private Resource? ReadStored(FhirReference reference)
    {
        lock (_gate)
        {
            return _resources.TryGetValue(reference.ResourceType, out var byId) ? byId.GetValueOrDefault(reference.Id) : null;
        }
    }

    private List<Resource> OfTypeStored(string type)
    {
        lock (_gate)
        {
            return _resources.TryGetValue(type, out var byId) ? [.. byId.Values] : [];
        }
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
