using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Subscriptions;

public enum ChangeKind
{
    Created,
    Updated,
    Deleted,
}

/// <summary>
/// A change to a FHIR resource, as it travels between gateway instances: the resource itself goes along (FHIR JSON),
/// so no instance has to read it again. <see cref="Origin"/> names the instance that published it.
/// </summary>
public sealed record ResourceChange(
    string ResourceType,
    string Id,
    string? VersionId,
    DateTimeOffset LastUpdated,
    ChangeKind Kind,
    string? ResourceJson,
    string Origin)
{
    public static ResourceChange From(Resource resource, ChangeKind kind, string origin)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return new ResourceChange(
            resource.TypeName,
            resource.Id!,
            resource.Meta?.VersionId,
            resource.Meta?.LastUpdated ?? DateTimeOffset.UtcNow,
            kind,
            FhirJson.Serialize(resource),
            origin);
    }

    public Resource? ParseResource() => ResourceJson is null ? null : FhirJson.Parse(ResourceJson);
}

/// <summary>
/// A change as listeners see it: what changed and when the gateway saw it, and the resource (for a deletion, its
/// last version), parsed on first use and once for all listeners: a listener that needs only the type and id (the
/// cache) never pays for parsing. Null when the resource cannot be read. <see cref="EventId"/> is its place in the
/// change stream (null for a listener that hears it before it is recorded, or when it could not be recorded).
/// </summary>
public sealed class ResourceEvent(ChangeKind kind, string resourceType, string id, string? versionId, DateTimeOffset lastUpdated, Func<Resource?> parse, DateTimeOffset occurredAt, ChangeEventId? eventId = null)
{
    private readonly Lazy<Resource?> _resource = new(parse);
    private readonly ConcurrentDictionary<string, object> _shared = new(StringComparer.Ordinal);

    public ChangeKind Kind { get; } = kind;

    public string ResourceType { get; } = resourceType;

    public string Id { get; } = id;

    public string? VersionId { get; } = versionId;

    public DateTimeOffset LastUpdated { get; } = lastUpdated;

    public DateTimeOffset OccurredAt { get; } = occurredAt;

    public ChangeEventId? EventId { get; } = eventId;

    public Resource? Resource => _resource.Value;

    /// <summary>
    /// State shared by everything that handles this event on this instance, made on first use: the reads of every
    /// subscriber it reaches (it lives as long as one of them still resolves it).
    /// </summary>
    public T Shared<T>(string key, Func<T> create)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        return (T)_shared.GetOrAdd(key, _ => create());
    }
}
