using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

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
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Parser = new();

    public static ResourceChange From(Resource resource, ChangeKind kind, string origin)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return new ResourceChange(
            resource.TypeName,
            resource.Id!,
            resource.Meta?.VersionId,
            resource.Meta?.LastUpdated ?? DateTimeOffset.UtcNow,
            kind,
            Serializer.SerializeToString(resource),
            origin);
    }

    public Resource? ParseResource() => ResourceJson is null ? null : Parser.DeserializeResource(ResourceJson);
}

/// <summary>A change as subscribers see it: the resource (for a deletion, its last version) and when the gateway saw it.</summary>
public sealed record ResourceEvent(ChangeKind Kind, string ResourceType, string Id, string? VersionId, DateTimeOffset LastUpdated, Resource? Resource, DateTimeOffset OccurredAt);
