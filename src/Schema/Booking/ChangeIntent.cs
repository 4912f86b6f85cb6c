using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
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

    /// <summary>
    /// The intent of a change: its id, when it began, every write it plans, in order (the last one tells whether it
    /// finished; a create is known from these alone), and each resource it updates that a repair may put back, as it
    /// was before (<see cref="ChangeRepair.ReadsPrevious"/>: appointments, and a schedule-side change's slots).
    /// </summary>
    public static Basic Record(string changeId, DateTimeOffset started, IEnumerable<FhirWrite> writes)
    {
        var planned = (writes ?? []).ToList();
        var scheduleSide = ChangeRepair.IsScheduleSide([.. planned.Select(PlannedWrite.Of)]);
        return new()
        {
            Identifier = [new Identifier(GatewayProfile.IntentSystem, changeId)],
            Code = new CodeableConcept(GatewayProfile.TagSystem, GatewayProfile.IntentCode),
            Extension =
            [
                new Extension(GatewayProfile.IntentStartedExtension, new Instant(started)),
                .. planned.Select(w => new Extension(GatewayProfile.IntentWriteExtension, new FhirString(PlannedWrite.Of(w).ToString()))),
                .. planned.Where(w => !w.IsCreate && !w.IsDelete && w.Previous is not null && ChangeRepair.ReadsPrevious(w.Previous.TypeName, scheduleSide))
                    .Select(w => new Extension(GatewayProfile.IntentPreviousExtension, new FhirString(FhirJson.Serialize(Untagged(w.Previous!))))),
            ],
        };
    }

    /// <summary>The resources the change updated that a repair may put back, as they were before it (with their version then).</summary>
    public static IReadOnlyList<Resource> Previous(Basic intent) =>
        [.. (intent?.Extension ?? []).Where(e => e.Url == GatewayProfile.IntentPreviousExtension)
            .Select(e => e.Value is FhirString { Value: { } json } ? Parse(json) as Resource : null).OfType<Resource>()];

    /// <summary>What was recorded, even if a FHIR rule (a cardinality) does not hold for it: a repair restores what was there.</summary>
    private static Base? Parse(string json)
    {
        try
        {
            return FhirJson.Parse(json);
        }
        catch (Exception e) when (FhirJson.IsRefusal(e))
        {
            return (e as DeserializationFailedException)?.PartialResult;
        }
    }

    /// <summary>The writes the change planned, in order; empty for an intent recorded without them.</summary>
    public static IReadOnlyList<PlannedWrite> PlannedWrites(Basic intent) =>
        [.. (intent?.Extension ?? []).Where(e => e.Url == GatewayProfile.IntentWriteExtension)
            .Select(e => e.Value is FhirString { Value: { } text } ? PlannedWrite.Parse(text) : null).OfType<PlannedWrite>()];

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

}

/// <summary>
/// One write a change planned: an update of <c>Type/Id</c> at <see cref="Version"/>, a create of a <c>Type</c> (no
/// id), or a delete of <c>Type/Id</c> (<see cref="IsDelete"/>, written <c>-Type/Id</c>).
/// </summary>
public sealed record PlannedWrite(string ResourceType, string? Id, string? Version, bool IsDelete = false)
{
    private const char DeleteMark = '-';

    public bool IsCreate => Id is null;

    public static PlannedWrite Of(FhirWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        return write.IsCreate ? new(write.Resource.TypeName, null, null)
            : new(write.Resource.TypeName, write.Resource.Id, write.IsDelete ? null : write.IfMatchVersionId, write.IsDelete);
    }

    public static PlannedWrite? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var isDelete = text.StartsWith(DeleteMark);
        text = isDelete ? text[1..] : text;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var reference = at < 0 ? text : text[..at];
        var version = at < 0 || at == text.Length - 1 ? null : text[(at + 1)..];
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        return reference.Length == 0 || (isDelete && slash < 0) ? null
            : slash < 0 ? new(reference, null, null)
            : new(reference[..slash], reference[(slash + 1)..], version, isDelete);
    }

    public override string ToString() =>
        IsCreate ? ResourceType : (IsDelete ? DeleteMark.ToString() : string.Empty) + ResourceType + "/" + Id + (Version is null ? string.Empty : "@" + Version);
}
