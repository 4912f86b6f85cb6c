using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;

namespace Scheduling.Schema.Slots;

public sealed class SlotStatusType : EnumerationGraphType<Slot.SlotStatus>
{
    public SlotStatusType() => Name = "SlotStatus";
}

public sealed class SlotType : ObjectGraphType<Slot>
{
    public SlotType()
    {
        Name = "Slot";
        Description = "A span of time on a schedule that can be booked (FREE) or is taken or blocked.";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("versionId")
            .Description("The FHIR version of this slot; changes on every update.")
            .Resolve(c => c.Source.Meta?.VersionId ?? string.Empty);
        Field<ScheduleType>("schedule").Resolve(c => c.ById().Load<Schedule>(c.Source.Schedule));
        Field<SlotStatusType>("status").Resolve(c => c.Source.Status);
        Field<IsoDateTimeGraphType>("start").Resolve(c => c.Source.Start);
        Field<IsoDateTimeGraphType>("end").Resolve(c => c.Source.End);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("serviceType").Resolve(c => c.Source.ServiceType);
        Field<CodeableConceptType>("appointmentType").Resolve(c => c.Source.AppointmentType);
        Field<BooleanGraphType>("overbooked").Resolve(c => c.Source.Overbooked);
        Field<StringGraphType>("comment").Resolve(c => c.Source.Comment);
        Field<ConnectionGraphType<AppointmentType, Appointment>>("appointments")
            .Description("Appointments on this slot.")
            .AppointmentListArguments()
            .Resolve(c => AppointmentQueries.ForReference(c, "slot", FhirReference.For<Slot>(c.Source.Id)));
    }
}
