using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking.MultiResource;
using Scheduling.Schema.Common;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Schedules;

public sealed class RequiredActorInputType : InputObjectGraphType<RequiredActor>
{
    public RequiredActorInputType()
    {
        Name = "RequiredActorInput";
        Description = "One resource availability must find free at the same time as the others: exactly one of a practitioner, a pool of practitioners (any of them), a location, a device or a healthcare service (whichever has schedules).";
        IsOneOf = true;
        Field<IdGraphType>("practitionerId").Description("This practitioner (any of their active schedules).");
        var pool = Field<ListGraphType<NonNullGraphType<IdGraphType>>>("anyOfPractitionerIds")
            .Description($"Any one of these practitioners (1 to {RequiredActor.MaxPool}); the option's part says whom it assigns and why (setting Booking:PoolAssignment).");
        pool.FieldType.Metadata[IdArguments.IdOf] = "Practitioner";
        Field<IdGraphType>("locationId").Description("This location (a room).");
        Field<IdGraphType>("deviceId").Description("This device (a Device's FHIR id).").FieldType.Metadata[IdArguments.IdOf] = "Device";
        Field<IdGraphType>("healthcareServiceId").Description("This healthcare service.");
    }

    public override object ParseDictionary(IDictionary<string, object?> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new RequiredActor
        {
            PractitionerId = Read(value, "practitionerId") as string,
            AnyOfPractitionerIds = Read(value, "anyOfPractitionerIds") is IEnumerable<object?> pool ? [.. pool.Select(i => i?.ToString() ?? string.Empty)] : null,
            LocationId = Read(value, "locationId") as string,
            DeviceId = Read(value, "deviceId") as string,
            HealthcareServiceId = Read(value, "healthcareServiceId") as string,
        };
    }

    private static object? Read(IDictionary<string, object?> value, string key) => value.TryGetValue(key, out var found) ? found : null;
}

public sealed class PoolAssignmentType : EnumerationGraphType<PoolAssignment>
{
    public PoolAssignmentType()
    {
        Name = "PoolAssignment";
        Description = "Why an option gives a pool the practitioner it does (the setting Booking:PoolAssignment).";
        this.DescribeValues(
            ("FIRST_FREE", "The first practitioner of the pool, in the order asked, free for the whole time."),
            ("LEAST_BOOKED_THAT_DAY", "The free practitioner with the fewest active appointments that (UTC) day; ties in the pool's order."),
            ("PREFERENCE_ORDER", "The free practitioner first in the configured preference order (Booking:PoolPreference)."));
    }
}

public sealed class AvailabilityPartType : ObjectGraphType<OptionPart>
{
    public AvailabilityPartType()
    {
        Name = "AvailabilityPart";
        Description = "One schedule an availability option takes: booking the option takes every part's slots at once, or none.";
        Field<NonNullGraphType<ScheduleType>>("schedule").Description("The schedule this part takes.").Resolve(c => c.Source.Schedule);
        Field<ActorType>("actor")
            .Description("The required resource this part is for (for a pool, the practitioner assigned); an OtherActor for a device.")
            .Resolve(c => c.Source.Actor.ResourceType is null ? null : ActorType.Resolve(c.ById(), new ResourceReference(c.Source.Actor.ToString())));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds")
            .Description("The slots of this schedule the option takes.")
            .Resolve(c => c.Source.SlotIds.Select(GlobalId.EncodeSlot));
        Field<PoolAssignmentType>("assignedBy")
            .Description("For a pool: the policy that chose this practitioner; null for a resource asked by name.")
            .Resolve(c => c.Source.AssignedBy);
    }
}
