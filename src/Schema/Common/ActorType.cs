using GraphQL.DataLoader;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.HealthcareServices;
using Scheduling.Schema.Locations;
using Scheduling.Schema.Patients;
using Scheduling.Schema.Practitioners;

namespace Scheduling.Schema.Common;

/// <summary>Who or what a schedule is for, or takes part in an appointment.</summary>
public sealed class ActorType : UnionGraphType
{
    private static readonly HashSet<string> Modelled = ["Practitioner", "Patient", "Location", "HealthcareService"];

    public ActorType()
    {
        Name = "Actor";
        Description = "A practitioner, patient, location or healthcare service; OtherActor for the kinds this API does not model.";
        Type<PractitionerType>();
        Type<PatientType>();
        Type<LocationType>();
        Type<HealthcareServiceType>();
        Type<OtherActorType>();
    }

    /// <summary>Loads the actor a reference points at, batched with every other actor of the level.</summary>
    public static IDataLoaderResult<object?> Resolve(ResourceByIdDataLoader loader, ResourceReference? reference)
    {
        ArgumentNullException.ThrowIfNull(loader);
        if (reference is null)
        {
            return new CompletedResult<object?>(null);
        }

        if (FhirReference.From(reference) is { } parsed && Modelled.Contains(parsed.ResourceType))
        {
            // A reference that names no resource (deleted, or never there) is still what FHIR says: served as its
            // reference, so actor lists have no null items.
            return loader.Load(parsed).Then<Resource?, object?>(r => r is null ? new OtherActor(reference.Reference, reference.Display) : r);
        }

        return new CompletedResult<object?>(new OtherActor(reference.Reference, reference.Display));
    }
}

/// <summary>An actor of a kind the API does not model (Device, RelatedPerson, PractitionerRole, ...), or a reference that names no resource.</summary>
public sealed record OtherActor(string? Reference, string? Display);

public sealed class OtherActorType : ObjectGraphType<OtherActor>
{
    public OtherActorType()
    {
        Name = "OtherActor";
        Description = "An actor of a kind this API does not model (a device, a related person, ...), or one whose reference names no resource: its reference as FHIR has it.";
        Field<StringGraphType>("reference").Description("The FHIR reference, e.g. Device/123.").Resolve(c => c.Source.Reference);
        Field<StringGraphType>("display").Description("The reference's text for people, if it has one.").Resolve(c => c.Source.Display);
    }
}
