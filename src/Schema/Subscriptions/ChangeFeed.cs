using System.ComponentModel.DataAnnotations;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Subscriptions;

/// <summary>Bound from the <c>ChangeFeed</c> section.</summary>
public sealed class ChangeFeedOptions
{
    public const string SectionName = "ChangeFeed";

    /// <summary>How often the FHIR server is asked what changed (<c>_lastUpdated</c>); 0 turns polling off.</summary>
    [Range(0, 3600)]
    public int PollSeconds { get; set; } = 5;

    /// <summary>Shared secret of the FHIR rest-hook receiver; empty: no receiver.</summary>
    public string? RestHookSecret { get; set; }

    [RegularExpression("^/.*", ErrorMessage = "ChangeFeed:RestHookPath must start with '/'.")]
    public string RestHookPath { get; set; } = "/fhir/rest-hook";
}

/// <summary>
/// Changes made behind the gateway's back, straight on the FHIR server: polled with <c>_lastUpdated</c> (works on
/// every server), or fetched at once when a FHIR rest-hook nudges it. What it finds goes to the hub, which records
/// in the change stream the versions no instance has announced yet (so they get ids and reach every instance). Off on the embedded store, where every write is the gateway's own.
/// </summary>
public sealed partial class ChangeFeed(
    IServiceScopeFactory scopes,
    ChangeHub hub,
    GatewayInstance instance,
    IOptions<ChangeFeedOptions> options,
    IOptions<FhirOptions> fhir,
    IOptions<Caching.CacheOptions> cache,
    TimeProvider time,
    ILogger<ChangeFeed> logger) : BackgroundService
{
    /// <summary>What subscribers watch, and what is cached (a change there must reach the cache).</summary>
    private readonly string[] _watched = ["Appointment", "Slot", .. cache.Value.Enabled ? cache.Value.ResourceTypes : []];
    private readonly SemaphoreSlim _nudge = new(0, 1);
    private readonly Dictionary<string, DateTimeOffset> _cursors = new(StringComparer.Ordinal);

    /// <summary>Looks for changes now (a rest-hook said something changed).</summary>
    public void Nudge()
    {
        if (_nudge.CurrentCount == 0)
        {
            try
            {
                _nudge.Release();
            }
            catch (SemaphoreFullException)
            {
                // already nudged
            }
        }
    }

    /// <summary>
    /// Announces these resources as the FHIR server has them now, read by id (one search per type and chunk of ids):
    /// a notification says only what to look at, never what it is, so a forged body changes nothing that subscribers
    /// see. What the server does not have is dropped. Returns how many were announced.
    /// </summary>
    public async Task<int> AnnounceCurrentAsync(IEnumerable<FhirReference> references, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(references);
        await using var scope = scopes.CreateAsyncScope();
        // The inner store, past the cache: the notification is about a version the cache may not have yet.
        var store = scope.ServiceProvider.GetRequiredKeyedService<IFhirStore>(FhirServiceKeys.Upstream);
        var announced = 0;
        foreach (var type in references.Distinct().GroupBy(r => r.ResourceType))
        {
            foreach (var ids in type.Select(r => r.Id).Chunk(fhir.Value.MaxValuesPerSearch))
            {
                foreach (var resource in await store.SearchAllAsync(ResourceSearches.ByIds(type.Key, ids), cancellationToken))
                {
                    await hub.PublishAsync(resource, KindOf(resource));
                    announced++;
                }
            }
        }

        return announced;
    }

    private static ChangeKind KindOf(Resource resource) => resource.Meta?.VersionId == "1" ? ChangeKind.Created : ChangeKind.Updated;

    public override void Dispose()
    {
        _nudge.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = options.Value.PollSeconds;
        if (fhir.Value.UsesEmbeddedStore || (every == 0 && string.IsNullOrEmpty(options.Value.RestHookSecret)))
        {
            return;
        }

        // Start a little in the past: a write in the instant before start-up is not lost.
        var start = time.GetUtcNow().AddSeconds(-2);
        foreach (var type in _watched)
        {
            _cursors[type] = start;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(stoppingToken);
            }
            catch (Exception e) when (e is FhirException)
            {
                LogPollFailed(logger, e);
            }

            var wait = every == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(every);
            try
            {
                await _nudge.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass: every resource of a watched type updated at or after its cursor, oldest first.</summary>
    private async Task PollAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        // The inner store: what the feed finds is announced once, here, not again as this gateway's own write.
        var store = scope.ServiceProvider.GetRequiredKeyedService<IFhirStore>(FhirServiceKeys.Upstream);
        foreach (var type in _watched)
        {
            var changes = await store.SearchAllAsync(
                ResourceSearches.UpdatedSince(type, _cursors[type]),
                cancellationToken);
            foreach (var resource in changes)
            {
                await hub.PublishAsync(ResourceChange.From(resource, KindOf(resource), instance.Id));
                if (resource.Meta?.LastUpdated is { } updated && updated > _cursors[type])
                {
                    _cursors[type] = updated;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed poll failed; trying again on the next tick")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
