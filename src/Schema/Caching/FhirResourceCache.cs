using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Caching;

/// <summary>Bound from the <c>Cache</c> section.</summary>
public sealed class CacheOptions
{
    public const string SectionName = "Cache";

    public bool Enabled { get; set; } = true;

    [Range(1, 86_400)]
    public int TimeToLiveSeconds { get; set; } = 300;

    /// <summary>What changes slowly enough to cache. Slots and appointments never are: a booking must show at once.</summary>
    public List<string> ResourceTypes { get; set; } = ["Practitioner", "Patient", "Location", "HealthcareService", "Schedule"];
}

/// <summary>
/// Reads of slowly changing resources, cached in <see cref="HybridCache"/>: in memory on each instance (with
/// stampede protection), and in Redis as the second level when Redis is configured. Keys carry the upstream base
/// URL, so two gateways on different FHIR servers never share entries. Every change an instance hears of (its own
/// writes, other instances' over the bus, the change feed) removes the entry everywhere. Misses are read once: however
/// many operations miss the same resource at once, one upstream read fills it (<see cref="GetOrReadAsync"/>).
/// </summary>
public sealed partial class FhirResourceCache(HybridCache cache, IOptions<CacheOptions> options, IOptions<FhirOptions> fhir, ILogger<FhirResourceCache> logger)
{
    /// <summary>
    /// Each cached JSON text parsed once: the in-memory level hands back the same string instance until the entry is
    /// replaced or removed, so a warm hit is a deep copy of that parse (a quarter of a parse's work) instead of a new
    /// parse. Copied because handlers may change what they read; nothing they do reaches the cached object.
    /// Keyed by the instance, so a text that came from Redis, or a replaced entry, is parsed afresh.
    /// </summary>
    private static readonly ConditionalWeakTable<string, Resource> Parsed = new();

    private static readonly HybridCacheEntryOptions ReadOnly = new()
    {
        Flags = HybridCacheEntryFlags.DisableUnderlyingData | HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite,
    };

    private readonly string _prefix = "fhir:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(fhir.Value.BaseUrl ?? "embedded")))[..12] + ":";
    private readonly HashSet<string> _types = [.. options.Value.ResourceTypes];
    private readonly SharedLoads<FhirReference, Resource?> _reads = new(keepCompleted: false);
    private long _removals;

    public bool Caches(string resourceType) => options.Value.Enabled && _types.Contains(resourceType);

    /// <summary>The cached resource, or null; a cache that cannot be reached is a miss, never an error.</summary>
    public async ValueTask<Resource?> GetAsync(FhirReference reference, CancellationToken cancellationToken)
    {
        try
        {
            var json = await cache.GetOrCreateAsync<string?>(Key(reference), _ => ValueTask.FromResult<string?>(null), ReadOnly, cancellationToken: cancellationToken);
            return json is null ? null : (Resource)Parsed.GetValue(json, FhirJson.Parse).DeepCopy();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCacheFailed(logger, reference.ToString(), e);
            return null;
        }
    }

    /// <summary>
    /// The cached resources, and the rest read with <paramref name="read"/> and cached: a miss that another operation
    /// is already reading waits for that read. A read during which an entry was removed caches nothing (it may
    /// predate the change).
    /// </summary>
    public async Task<IReadOnlyDictionary<FhirReference, Resource?>> GetOrReadAsync(
        IReadOnlyList<FhirReference> keys,
        Func<IReadOnlyList<FhirReference>, CancellationToken, Task<IReadOnlyDictionary<FhirReference, Resource?>>> read,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(read);
        var cached = await Task.WhenAll(keys.Distinct().Select(async k => (Key: k, Resource: await GetAsync(k, cancellationToken))));
        var found = cached.Where(c => c.Resource is not null).ToDictionary(c => c.Key, c => c.Resource);
        var misses = cached.Where(c => c.Resource is null).Select(c => c.Key).ToList();
        if (misses.Count == 0)
        {
            return found;
        }

        var loaded = await _reads.LoadAsync(misses, async (claimed, token) =>
        {
            // A read that finished between our miss and our claim has filled the cache: ask it again first.
            var removals = Interlocked.Read(ref _removals);
            var values = new Dictionary<FhirReference, Resource?>();
            foreach (var key in claimed)
            {
                values[key] = await GetAsync(key, token);
            }

            var unread = values.Where(v => v.Value is null).Select(v => v.Key).ToList();
            if (unread.Count == 0)
            {
                return values;
            }

            var fresh = await read(unread, token);
            foreach (var (key, resource) in fresh)
            {
                values[key] = resource;
            }

            await CacheFoundAsync(fresh.Values.OfType<Resource>(), removals, token);

            return values;
        }, null, cancellationToken);
        foreach (var (key, resource) in loaded)
        {
            found[key] = resource;
        }

        return found;
    }

    /// <summary>Taken before a read or search is sent, and handed to <see cref="CacheFoundAsync"/> with what it found.</summary>
    public long RemovalMark => Interlocked.Read(ref _removals);

    /// <summary>
    /// Caches what a read or a search found of the cached types, under the keys and with the time to live a load
    /// uses; nothing once an entry has been removed since <paramref name="mark"/> (what was found may predate the change).
    /// The one rule for loads (<see cref="GetOrReadAsync"/>) and for what a planned search brought along.
    /// </summary>
    public async ValueTask CacheFoundAsync(IEnumerable<Resource> found, long mark, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(found);
        foreach (var resource in found.Where(r => Caches(r.TypeName) && FhirReference.IsValidId(r.Id)))
        {
            if (Interlocked.Read(ref _removals) != mark)
            {
                return;
            }

            await SetAsync(resource, cancellationToken);
        }
    }

    public async ValueTask SetAsync(Resource resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var ttl = TimeSpan.FromSeconds(options.Value.TimeToLiveSeconds);
        try
        {
            await cache.SetAsync(Key(new FhirReference(resource.TypeName, resource.Id!)), FhirJson.Serialize(resource),
                new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl }, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCacheFailed(logger, resource.TypeName + "/" + resource.Id, e);
        }
    }

    public async ValueTask RemoveAsync(FhirReference reference, CancellationToken cancellationToken)
    {
        // A read in flight may have started before the change: later readers do not wait for it, and it caches nothing.
        Interlocked.Increment(ref _removals);
        _reads.Forget(reference);
        try
        {
            await cache.RemoveAsync(Key(reference), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCacheFailed(logger, reference.ToString(), e);
        }
    }

    private string Key(FhirReference reference) => _prefix + reference;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache unavailable for {Reference}; reading from FHIR")]
    private static partial void LogCacheFailed(ILogger logger, string reference, Exception exception);
}
