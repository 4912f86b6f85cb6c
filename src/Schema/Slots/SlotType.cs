using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Slots;

public sealed class SlotStatusType : EnumerationGraphType<Slot.SlotStatus>
{
    public SlotStatusType()
    {
        Name = "SlotStatus";
        Description = "Whether a slot can be booked (FHIR slotstatus).";
        this.DescribeValues(
            ("BUSY", "Taken by an appointment."),
            ("FREE", "Open: it can be booked."),
            ("BUSY_UNAVAILABLE", "Blocked (blockTime): it cannot be booked."),
            ("BUSY_TENTATIVE", "Held (holdSlots) until the hold is confirmed, cancelled or expires."),
            ("ENTERED_IN_ERROR", "Made in error; to be ignored."));
    }
}

public sealed class SlotType : ObjectGraphType<Slot>
{
    public SlotType()
    {
        Name = "Slot";
        Description = "A span of time on a schedule that can be booked (FREE) or is taken or blocked.";
        this.AddNodeIdentity();
        Field<NonNullGraphType<StringGraphType>>("versionId").NotFhirElement()
            .Description("The FHIR version of this slot; changes on every update.")
            .Resolve(c => c.Source.Meta?.VersionId ?? string.Empty);
        Field<NonNullGraphType<ScheduleType>>("schedule").Description("The schedule the slot belongs to.").Resolve(c => c.ById().Load<Schedule>(c.Source.Schedule));
        Field<NonNullGraphType<SlotStatusType>>("status").Description("Whether it can be booked.").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("When it starts.").Resolve(c => c.Source.Start);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("When it ends.").Resolve(c => c.Source.End);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("serviceType").Description("The services that can be booked in it.").Resolve(c => c.Source.ServiceType);
        Field<CodeableConceptType>("appointmentType").Description("The kind of appointment it is for.").Resolve(c => c.Source.AppointmentType);
        Field<BooleanGraphType>("overbooked").Description("Whether it holds more appointments than it was meant to.").Resolve(c => c.Source.Overbooked);
        Field<StringGraphType>("comment").Description("A note about the slot, e.g. why it is blocked.").Resolve(c => c.Source.Comment);
        Field<NonNullGraphType<ConnectionGraphType<AppointmentType, Appointment>>>("appointments")
            .Description("Appointments on this slot.")
            .AppointmentListArguments()
            .Resolve(c => AppointmentQueries.ForReference(c, "slot", FhirReference.For<Slot>(c.Source.Id)));
    }
}
