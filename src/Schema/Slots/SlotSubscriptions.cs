using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Slots;

/// <summary>What happened to a slot, as its subscribers are told (the GraphQL enum <c>ChangeKind</c>).</summary>
public enum SlotChangeKind
{
    Created,
    Updated,
    Deleted,

    /// <summary>Not a version: the events a resuming client missed cannot be told (<see cref="SlotChanged.Refetch"/>).</summary>
    RefetchRequired,
}

/// <summary>One version of a slot, for live calendars; or the signal to refetch (<see cref="Refetch"/>, no slot).</summary>
public sealed record SlotChanged(SlotChangeKind Kind, string? SlotId, Slot? Slot, string? VersionId, DateTimeOffset OccurredAt, RefetchRequired? Refetch = null)
{
    public static SlotChanged RefetchSignal(RefetchRequired refetch, TimeProvider clock) =>
        new(SlotChangeKind.RefetchRequired, null, null, null, clock.GetUtcNow(), refetch);

    public static SlotChangeKind KindOf(ChangeKind kind) => kind switch
    {
        ChangeKind.Created => SlotChangeKind.Created,
        ChangeKind.Deleted => SlotChangeKind.Deleted,
        _ => SlotChangeKind.Updated,
    };
}

public static class SlotSubscriptions
{
    public static void AddTo(ObjectGraphType subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        subscription.Field<NonNullGraphType<SlotChangedType>>("slotsChanged")
            .Description("Every new version of the slots of these schedules in this time range: a live calendar.")
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("scheduleIds", a => a.Description = "Slots of these schedules.")
            .Argument<IsoDateTimeGraphType>("start", a => a.Description = "Only slots that end after this instant.")
            .Argument<IsoDateTimeGraphType>("end", a => a.Description = "Only slots that start before this instant.")
            .ResolveStream(c =>
            {
                var schedules = c.GetArgument<List<string>>("scheduleIds").ToHashSet(StringComparer.Ordinal);
                var start = c.GetArgument<DateTimeOffset?>("start");
                var end = c.GetArgument<DateTimeOffset?>("end");
                return ChangeSubscription.For(
                    c,
                    "Slot",
                    (change, _) => ValueTask.FromResult(change.Resource is Slot slot &&
                        schedules.Contains(FhirReference.From(slot.Schedule)?.Id ?? string.Empty) &&
                        (start is null || slot.End > start) && (end is null || slot.Start < end)),
                    change => new SlotChanged(SlotChanged.KindOf(change.Kind), change.Id, change.Resource as Slot, change.VersionId, change.OccurredAt));
            })
            .ResolveEachEventFresh(refetch => SlotChanged.RefetchSignal(refetch, TimeProvider.System));
    }
}

public sealed class ChangeKindType : EnumerationGraphType<SlotChangeKind>
{
    public ChangeKindType()
    {
        Name = "ChangeKind";
        Description = "What happened to a resource.";
        this.DescribeValues(
            ("CREATED", "It was made."),
            ("UPDATED", "It changed."),
            ("DELETED", "It was deleted."),
            ("REFETCH_REQUIRED", "Not a change: the events since the client's last event id cannot be told (see refetch). Refetch, then keep receiving."));
    }
}

public sealed class SlotChangedType : ObjectGraphType<SlotChanged>
{
    public SlotChangedType()
    {
        Name = "SlotChanged";
        Description = "A new version of a slot, as a subscriber receives it; or, with kind REFETCH_REQUIRED, the signal to refetch.";
        Field<NonNullGraphType<ChangeKindType>>("kind").Description("What happened.").Resolve(c => c.Source.Kind);
        Field<IdGraphType>("slotId").Description("The slot's global id (null for REFETCH_REQUIRED).").Resolve(c => c.Source.SlotId is { } id ? GlobalId.Encode("Slot", id) : null);
        Field<SlotType>("slot").Description("This version (for DELETED, the last one; null for REFETCH_REQUIRED).").Resolve(c => c.Source.Slot);
        Field<RefetchRequiredType>("refetch").Description("For REFETCH_REQUIRED, why and from where; null otherwise.").Resolve(c => c.Source.Refetch);
        Field<StringGraphType>("versionId").Description("The FHIR version it is now at.").Resolve(c => c.Source.VersionId);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("occurredAt").Description("When the gateway learnt of the change.").Resolve(c => c.Source.OccurredAt);
    }
}
