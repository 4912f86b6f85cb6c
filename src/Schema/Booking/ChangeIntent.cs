using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// The record a change written resource by resource leaves before its first write and removes after its last (or
/// after its undo): a Basic with the change id, found by a sweeper on any instance if the change's instance died
/// meanwhile. Every write of the change carries the change id as a meta.tag, so a repair sees from a fresh read what
/// of the change landed and is still its own.
/// </summary>
public static class ChangeIntent
{
    public static string NewChangeId() => Guid.NewGuid().ToString("N");

    public static Basic Record(string changeId, DateTimeOffset started) => new()
    {
        Identifier = [new Identifier(GatewayProfile.IntentSystem, changeId)],
        Code = new CodeableConcept(GatewayProfile.TagSystem, GatewayProfile.IntentCode),
        Extension = [new Extension(GatewayProfile.IntentStartedExtension, new Instant(started))],
    };

    public static string? ChangeIdOf(Basic intent) =>
        intent?.Identifier.FirstOrDefault(i => i.System == GatewayProfile.IntentSystem)?.Value;

    public static DateTimeOffset? StartedAt(Basic intent) =>
        intent?.GetExtension(GatewayProfile.IntentStartedExtension)?.Value is Instant { Value: { } started } ? started : null;

    /// <summary>The write with its resource tagged by this change (an earlier change's tag replaced).</summary>
    public static FhirWrite Tag(FhirWrite write, string changeId)
    {
        ArgumentNullException.ThrowIfNull(write);
        var tagged = write.Resource.DeepCopy();
        tagged.Meta ??= new Meta();
        tagged.Meta.Tag.RemoveAll(t => t.System == GatewayProfile.ChangeTagSystem);
        tagged.Meta.Tag.Add(new Coding(GatewayProfile.ChangeTagSystem, changeId));
        return write with { Resource = tagged };
    }

    /// <summary>Whether this change wrote the resource last.</summary>
    public static bool IsTaggedBy(Resource? resource, string changeId) =>
        resource?.Meta?.Tag.Any(t => t.System == GatewayProfile.ChangeTagSystem && t.Code == changeId) == true;

    /// <summary>A copy without any change's tag: what a repair or an undo writes back.</summary>
    public static T Untagged<T>(T resource)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        var copy = (T)resource.DeepCopy();
        copy.Meta?.Tag.RemoveAll(t => t.System == GatewayProfile.ChangeTagSystem);
        return copy;
    }

    /// <summary>Every intent record.</summary>
    public static FhirQuery All() => FhirQuery.For<Basic>().WhereToken("code", GatewayProfile.TagSystem, GatewayProfile.IntentCode);

    /// <summary>The resources of one type this change wrote last.</summary>
    public static FhirQuery TaggedBy(string resourceType, string changeId) =>
        new FhirQuery(resourceType).WhereToken("_tag", GatewayProfile.ChangeTagSystem, changeId);
}
