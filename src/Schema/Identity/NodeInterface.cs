using GraphQL.Types;
using Hl7.Fhir.Model;

using Scheduling.Schema.Common;

namespace Scheduling.Schema.Identity;

/// <summary>Relay's Node: every entity, with a global id that <c>node(id:)</c> reads back.</summary>
public sealed class NodeInterface : InterfaceGraphType
{
    public NodeInterface()
    {
        Name = "Node";
        Description = "An entity or availability option with a global id: read it again with node(id:) or nodes(ids:).";
        Field<NonNullGraphType<IdGraphType>>("id").Description("The global id: opaque, unique across every type of this API.");
    }
}

public static class EntityIds
{
    /// <summary>
    /// An entity's identity, the same on every type: it implements Node, its <c>id</c> is the global id
    /// (<see cref="GlobalId"/>), <c>fhirId</c> the FHIR logical id and <c>fhirReference</c> the FHIR reference.
    /// </summary>
    public static void AddNodeIdentity<TResource>(this ObjectGraphType<TResource> type)
        where TResource : Resource
    {
        ArgumentNullException.ThrowIfNull(type);
        type.Interface<NodeInterface>();
        type.Field<NonNullGraphType<IdGraphType>>("id").NotFhirElement()
            .Description("The global id: opaque, unique across every type of this API; node(id:) reads it back.")
            .Resolve(c => GlobalId.Encode(c.Source.TypeName, c.Source.Id ?? string.Empty));
        type.Field<NonNullGraphType<IdGraphType>>("fhirId")
            .Description("The FHIR logical id, unique only among resources of this type.")
            .Resolve(c => c.Source.Id);
        type.Field<NonNullGraphType<StringGraphType>>("fhirReference")
            .Description("The FHIR reference Type/id, as other FHIR resources point to this one.")
            .Resolve(c => c.Source.TypeName + "/" + c.Source.Id);
    }
}
