using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// writes, other instances' over the bus, the change feed) removes the entry everywhere.
/// </summary>
public sealed partial class FhirResourceCache(HybridCache cache, IOptions<CacheOptions> options, IOptions<FhirOptions> fhir, ILogger<FhirResourceCache> logger)
{
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new();

    private static readonly HybridCacheEntryOptions ReadOnly = new()
    {
        Flags = HybridCacheEntryFlags.DisableUnderlyingData | HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite,
    };

    private readonly string _prefix = "fhir:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(fhir.Value.BaseUrl ?? "embedded")))[..12] + ":";
    private readonly HashSet<string> _types = [.. options.Value.ResourceTypes];

    public bool Caches(string resourceType) => options.Value.Enabled && _types.Contains(resourceType);

    /// <summary>The cached resource, or null; a cache that cannot be reached is a miss, never an error.</summary>
    public async ValueTask<Resource?> GetAsync(FhirReference reference, CancellationToken cancellationToken)
    {
        try
        {
            var json = await cache.GetOrCreateAsync<string?>(Key(reference), _ => ValueTask.FromResult<string?>(null), ReadOnly, cancellationToken: cancellationToken);
            return json is null ? null : Deserializer.DeserializeResource(json);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCacheFailed(logger, reference.ToString(), e);
            return null;
        }
    }

    public async ValueTask SetAsync(Resource resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var ttl = TimeSpan.FromSeconds(options.Value.TimeToLiveSeconds);
        try
        {
            await cache.SetAsync(Key(new FhirReference(resource.TypeName, resource.Id!)), Serializer.SerializeToString(resource),
                new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl }, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCacheFailed(logger, resource.TypeName + "/" + resource.Id, e);
        }
    }

    public async ValueTask RemoveAsync(FhirReference reference, CancellationToken cancellationToken)
    {
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
