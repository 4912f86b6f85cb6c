using System.Globalization;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Serializes changes that take time, across gateway instances, on any FHIR R4 server: one versioned guard resource
/// (a Basic with an identifier) per actor and UTC hour. A change reads the guards of every actor and hour its span
/// touches before it reads busy time, and writes them (If-Match on the version read) as the LAST writes of its
/// change: in a transaction Bundle that makes the whole change fail when another overlapping change won; in
/// compensation mode the other change's guard write came after all its own writes, so a change that read the
/// guard's newer version also saw that change's slots and appointment, and a change that read the older one loses
/// the If-Match and is undone. A patient has one more guard for their open-bookings limit.
/// </summary>
public sealed class SpanGuards(IFhirStore store)
{
    /// <summary>The guards of these actors over the span's buckets (created on first use), plus extra keys: one search, and one more after creating any.</summary>
    public async Task<IReadOnlyList<Basic>> ReadAsync(IEnumerable<FhirReference> actors, TimeRange span, IEnumerable<string>? extraKeys, CancellationToken cancellationToken)
    {
        var keys = Keys(actors, span, extraKeys);
        return await CreateMissingAsync(keys, await FindAsync(keys, cancellationToken), cancellationToken);
    }

    /// <summary>The keys of these actors' guards over the span's buckets, plus extra keys, in order.</summary>
    public static IReadOnlyList<string> Keys(IEnumerable<FhirReference> actors, TimeRange span, IEnumerable<string>? extraKeys)
    {
        ArgumentNullException.ThrowIfNull(actors);
        var keys = new List<string>();
        foreach (var actor in actors.Distinct())
        {
            keys.AddRange(Buckets(span).Select(bucket => actor + ":" + bucket.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture)));
        }

        keys.AddRange(extraKeys ?? []);
        return [.. keys.Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>Whether every key has a guard among those found.</summary>
    public static bool Complete(IReadOnlyList<string> keys, IReadOnlyList<Basic> found) =>
        (keys ?? []).All(k => (found ?? []).Any(g => KeyOf(g) == k));

    /// <summary>The guards found, and the missing ones created (then all read again); writes nothing when none is missing.</summary>
    public async Task<IReadOnlyList<Basic>> CreateMissingAsync(IReadOnlyList<string> keys, IReadOnlyList<Basic> found, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(found);
        var missing = keys.Where(k => !found.Any(g => KeyOf(g) == k)).ToList();
        if (missing.Count == 0)
        {
            return found;
        }

        // The missing guards at once (each create is conditional and stands alone): one round trip's wait, not one per key.
        await Task.WhenAll(missing.Select(key => store.CreateIfNoneExistAsync(
            new Basic
            {
                Identifier = [new Identifier(GatewayProfile.GuardSystem, key)],
                Code = new CodeableConcept(GatewayProfile.TagSystem, GatewayProfile.GuardCode),
            },
            SpanGuardSearches.ByKeys([key]),
            cancellationToken)));

        // Read again: a server whose conditional create is not atomic may hold two guards for one key; claiming every
        // one found makes two racing first users meet on at least one of them.
        return await FindAsync(keys, cancellationToken);
    }

    /// <summary>The guards with these keys that exist (a read only).</summary>
    public async Task<IReadOnlyList<Basic>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken) =>
        await store.SearchAllAsync<Basic>(SpanGuardSearches.ByKeys(keys), cancellationToken);

    /// <summary>The key a guard stands for.</summary>
    public static string? KeyOf(Basic guard) => guard?.Identifier.FirstOrDefault(i => i.System == GatewayProfile.GuardSystem)?.Value;

    /// <summary>How much time one guard covers: spans in different buckets never wait for each other.</summary>
    public static readonly TimeSpan BucketLength = TimeSpan.FromHours(1);

    /// <summary>
    /// The UTC hours a span touches. Two overlapping spans always share one, so guarding each hour serializes every
    /// overlapping pair while changes in different hours of one day do not wait for each other. (Half hours were
    /// tried: neighbouring 30-minute bookings stop contending, but the model test found slots left BUSY_TENTATIVE
    /// without their hold; until that is understood, hours.)
    /// </summary>
    public static IEnumerable<DateTimeOffset> Buckets(TimeRange span)
    {
        var utc = span.Start.ToUniversalTime();
        var first = new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
        for (var bucket = first; bucket < span.End; bucket += BucketLength)
        {
            yield return bucket;
        }
    }

    /// <summary>The key of a patient's open-bookings guard.</summary>
    public static string OpenBookingsKey(string patientId) => "Patient/" + patientId + ":open-bookings";

    /// <summary>The writes that claim the guards: a new value each, only at the version read.</summary>
    public static IEnumerable<FhirWrite> Claim(IEnumerable<Basic> guards) =>
        (guards ?? []).Select(guard =>
        {
            var claimed = (Basic)guard.DeepCopy();
            claimed.SetExtension(GatewayProfile.GuardChangeExtension, new FhirString(Guid.NewGuid().ToString("N")));
            return FhirWrite.Update(guard, claimed);
        });
}
