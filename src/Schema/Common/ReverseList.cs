using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Common;

/// <summary>
/// A nested connection of the resources that point at the one in hand (<c>Schedule.slots</c> = <c>Slot?schedule=</c>,
/// <c>Patient.appointments</c> = <c>Appointment?patient=</c>): the one place its DataLoader key (filter from the field's
/// arguments and the caller's access, search parameter, owner) and its page are read. The field's resolver asks with
/// it, and the query planner asks with the same instance, kept in the field's metadata, before the owner has resolved
/// (<see cref="Planning.ChildListPrefetch"/>): one key builder, so both ask the same key.
/// </summary>
public sealed class ReverseList
{
    /// <summary>Field metadata: the field's <see cref="ReverseList"/>.</summary>
    public const string Metadata = "Scheduling.ReverseList";

    private readonly Func<IResolveFieldContext, FhirQuery> _filter;

    public ReverseList(string itemType, string parameter, string ownerType, Func<IResolveFieldContext, FhirQuery> filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ItemType = itemType;
        Parameter = parameter;
        OwnerType = ownerType;
        _filter = filter;
    }

    /// <summary>The FHIR type of the list's items (what the search is of).</summary>
    public string ItemType { get; }

    /// <summary>The items' reference search parameter that points at the owner.</summary>
    public string Parameter { get; }

    /// <summary>The FHIR type of the resource the field is declared on.</summary>
    public string OwnerType { get; }

    /// <summary>The field's list, if it is one.</summary>
    public static ReverseList? Of(FieldType field) => field?.GetMetadata<ReverseList?>(Metadata);

    /// <summary>
    /// What the field with these arguments (<paramref name="context"/>: the field's own) asks of the owner
    /// <paramref name="ownerId"/>: the lookup (unplanned: the planner adds its plan, which is not part of the key) and
    /// the page. Bad arguments throw the user error the field answers.
    /// </summary>
    public (ReverseLookup Key, int Offset, int First) Ask(IResolveFieldContext context, string? ownerId)
    {
        var (offset, first) = Paging.Read(context);
        return (new ReverseLookup(_filter(context), Parameter, new FhirReference(OwnerType, ownerId ?? string.Empty)), offset, first);
    }
}

public static class ReverseListFields
{
    /// <summary>
    /// Resolves the connection field as the <typeparamref name="TItem"/>s whose <paramref name="parameter"/> points at
    /// the field's owner, under <paramref name="filter"/> (built from the field's arguments), through the batched,
    /// planned DataLoader; the list is kept in the field's metadata for the planner's prefetch.
    /// </summary>
    public static FieldBuilder<TSource, object> ResolveReverseList<TSource, TItem>(
        this FieldBuilder<TSource, object> field, string parameter, Func<IResolveFieldContext, FhirQuery> filter)
        where TSource : Resource
        where TItem : Resource
    {
        ArgumentNullException.ThrowIfNull(field);
        var list = new ReverseList(FhirTypeName<TItem>.Value, parameter, FhirTypeName<TSource>.Value, filter);
        return field.WithMetadata(ReverseList.Metadata, list).Resolve(c =>
        {
            var (key, offset, first) = list.Ask(c, c.Source.Id);
            return c.LoadReferencing<TItem>(key).Then(found => Paging.Slice(found, offset, first));
        });
    }
}
