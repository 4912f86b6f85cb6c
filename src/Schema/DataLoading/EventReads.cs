using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Schema.DataLoading;

/// <summary>
/// The reads of one subscription event, shared by every subscriber it reaches on this instance: each key (a
/// resource by reference, a reverse lookup) is fetched once for the event, by the first subscriber to ask, and the
/// others wait for that fetch; so an event costs FHIR the same for 1 subscriber or 10,000. Only reads are shared:
/// what each subscriber receives is still decided per subscriber (the access field middleware runs in its operation).
/// Kept with the event, so a read is never older than the event it resolves.
/// </summary>
public static class EventReads
{
    /// <summary>Makes the operation's DataLoaders read through the event's shared reads until the next event.</summary>
    public static void Join(IServiceProvider services, ResourceEvent change)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(change);
        var partition = Partition(services);
        services.GetRequiredService<ResourceByIdDataLoader>().ShareLoads(ById(services, change, partition));
        services.GetRequiredService<ReferencingResourcesDataLoader>().ShareLoads(
            change.Shared("referencing|" + partition, () => new SharedLoads<ReverseLookup, IReadOnlyList<Resource>>(keepCompleted: true)));
    }

    /// <summary>
    /// Resources of one type by reference, read for the event outside an operation's DataLoaders (a subscription's
    /// filter): once per event, and what the subscribers' fields then find already read.
    /// </summary>
    public static async Task<IReadOnlyList<T>> ReadAsync<T>(IServiceProvider services, ResourceEvent change, IReadOnlyList<FhirReference> keys, CancellationToken cancellationToken)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        var store = services.GetRequiredService<IFhirStore>();
        var fhir = services.GetRequiredService<IOptions<FhirOptions>>().Value;
        var found = await ById(services, change, Partition(services)).LoadAsync(
            keys, (missing, token) => ResourceByIdDataLoader.SearchAsync(store, fhir, missing, token), null, cancellationToken);
        return [.. found.Values.OfType<T>()];
    }

    /// <summary>
    /// The event's reads by reference. What the change stream carried here lately is taken as it came
    /// (<see cref="CarriedResources"/>, its staleness rule there) instead of read again: the booking's slot reaches
    /// the stream just before its appointment. Only when the gateway reads FHIR as itself: a caller's own token might
    /// be refused what the stream carries.
    /// </summary>
    private static SharedLoads<FhirReference, Resource?> ById(IServiceProvider services, ResourceEvent change, string partition) =>
        change.Shared("by-id|" + partition, () => new SharedLoads<FhirReference, Resource?>(
            keepCompleted: true,
            known: services.GetRequiredService<IOptions<FhirOptions>>().Value.UpstreamIdentity != UpstreamIdentity.Caller && services.GetService<ChangeHub>() is { } hub
                ? hub.Carried.TryGet
                : null));

    /// <summary>
    /// Reads are shared only between callers the FHIR server answers alike: all of them when the gateway reads with
    /// its own identity; only those with the same token when callers' tokens are passed through.
    /// </summary>
    private static string Partition(IServiceProvider services) =>
        services.GetRequiredService<IOptions<FhirOptions>>().Value.UpstreamIdentity == UpstreamIdentity.Caller
            ? services.GetRequiredService<CallerCredentials>().BearerToken ?? string.Empty
            : string.Empty;
}
